# shellcheck shell=bash
# Sourced by run.sh (on the host) and guest.sh (in the guest): a case
# script's settings live in its header comments, "# xt-NAME: VALUE".

# case_header FILE NAME [VALUE]: the value of FILE's first "# xt-NAME: ..."
# line whose value matches the sed pattern VALUE (default: a number); else
# nothing.
case_header() {
	sed -n "s/^# *xt-$2: *\\(${3:-[0-9][0-9]*}\\).*/\\1/p" "$1" | head -n 1
}
