#!/bin/bash
# Self-test: a case that exits non-zero must turn the run red.
. "$XT_LIB"
fail "deliberate failure for the harness self-test"
