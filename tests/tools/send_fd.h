/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test tools' one way to pass a descriptor over a unix socket
 * (SCM_RIGHTS), as a process hands a handle to another.
 */
#ifndef XLOOP_TEST_SEND_FD_H
#define XLOOP_TEST_SEND_FD_H

#include <string.h>
#include <sys/socket.h>

/* Send @fd over @sock with one byte of data: 0, or -1 with errno. */
static inline int send_fd(int sock, int fd)
{
	char data = 'h', buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = buf, .msg_controllen = sizeof(buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

#endif
