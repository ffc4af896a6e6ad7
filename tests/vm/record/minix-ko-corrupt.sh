#!/bin/bash
# make minix-ko-record: case 406's corrupt images, each mounted, walked and
# changed under xminix.ko and then under the stock minix.ko, side by side.
# xminix.ko must stay clean and answer with errnos, as in 406; minix.ko's
# warnings, oopses (killed walkers) and hangs are printed per image and
# counted by kind.  The run has XT_RECORD=1: an oops does not panic the
# guest, and minix.ko's warnings do not fail it.
# xt-timeout: 3000
export XT_FUZZ_SIDE_BY_SIDE=1
# shellcheck source=../cases/406-xminix-fuzz-images.sh
. "$XT_TOP/tests/vm/cases/406-xminix-fuzz-images.sh"
