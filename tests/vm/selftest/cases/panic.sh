#!/bin/bash
# Self-test: a guest that panics must turn the run red.
. "$XT_LIB"
sync
echo c >/proc/sysrq-trigger
