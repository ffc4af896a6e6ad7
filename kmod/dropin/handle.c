// SPDX-License-Identifier: GPL-2.0
#include "../xloop_handle.c"
