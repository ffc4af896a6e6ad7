#!/bin/bash
# make crash-test: case 407 (tests/vm/cases) with all four formats on each
# kernel, four power cuts per kernel instead of make check's two.
# xt-disk: 64
# xt-power-cuts: 4
# xt-timeout: 600
export XT_CUT_ALL_FORMATS=1
# shellcheck source=../cases/407-xminix-power-cut.sh
. "$XT_TOP/tests/vm/cases/407-xminix-power-cut.sh"
