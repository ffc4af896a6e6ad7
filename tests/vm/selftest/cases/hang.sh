#!/bin/bash
# Self-test: a guest that never finishes must turn the run red (the host kills
# it at XT_LIMIT seconds, well before this case's own limit).
# xt-timeout: 3600
. "$XT_LIB"
sleep 3600
