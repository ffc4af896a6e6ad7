#!/bin/bash
# Self-test: a case that passes, run beside a broken one.
. "$XT_LIB"
expect_eq "arithmetic" 4 "$((2 + 2))"
