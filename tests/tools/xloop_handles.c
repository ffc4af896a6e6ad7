// SPDX-License-Identifier: GPL-2.0
/*
 * xloop_handles: XLOOP_CTL_ATTACH and its handles, checked against what
 * include/uapi/linux/xloop.h promises.  Every check prints "ok - WHAT" or
 * "not ok - WHAT: why"; the exit status is 1 when any failed.
 *
 *   xloop_handles CONTROL PREFIX FILE   the semantic checks (FILE: a scratch
 *                                       image of at least 1 MiB, written)
 *   xloop_handles pass CONTROL PREFIX FILE ROUNDS
 *                                       ROUNDS times: a child attaches, sends
 *                                       the handle over a unix socket and
 *                                       exits; the receiver checks the device
 *                                       is still bound, closes the handle,
 *                                       and the device must be free
 *
 * Built for i386 too (xloop_handles32): the compat ioctl path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/xloop.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "send_fd.h"

#ifndef BLKGETDISKSEQ
#define BLKGETDISKSEQ _IOR(0x12, 128, __u64)
#endif

static const char *control, *prefix, *image;
static int failures;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok)
		printf(" (errno %s)", strerrorname_np(errno) ?: "0");
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

static void die(const char *what)
{
	fprintf(stderr, "xloop_handles: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int open_control(int flags)
{
	int fd = open(control, flags | O_CLOEXEC);

	if (fd < 0)
		die(control);
	return fd;
}

/* XLOOP_CTL_ATTACH of @file on device @index: 0 or -1 with errno. */
static int attach_fd(int ctl, int file, int index, __u32 lo_flags,
		     struct xloop_attach *a)
{
	memset(a, 0, sizeof(*a));
	a->config.fd = file;
	a->config.info.lo_flags = lo_flags;
	a->index = index;
	a->flags = XLOOP_ATTACH_CLOEXEC;
	return ioctl(ctl, XLOOP_CTL_ATTACH, a);
}

/* Attach the image (read-write) on any free device; dies on failure. */
static int attach(struct xloop_attach *a)
{
	int ctl = open_control(O_RDWR), file = open(image, O_RDWR | O_CLOEXEC);

	if (file < 0)
		die(image);
	if (attach_fd(ctl, file, -1, 0, a) != 0)
		die("XLOOP_CTL_ATTACH");
	close(file);
	close(ctl);
	return a->handle_fd;
}

static char *devpath(unsigned int n)
{
	static char buf[2][64];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "/dev/%s%u", prefix, n);
	return buf[i];
}

/* Is device @n bound?  Its sysfs loop/ group exists only then. */
static int bound(unsigned int n)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/block/%s%u/loop/backing_file", prefix, n);
	return access(path, F_OK) == 0;
}

/* /sys/block/<dev>/loop/<attr>, first line. */
static const char *loop_attr(unsigned int n, const char *attr)
{
	static char buf[256];
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s%u/loop/%s", prefix, n, attr);
	f = fopen(path, "re");
	if (!f || !fgets(buf, sizeof(buf), f))
		strcpy(buf, "-");
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* The device node, waiting for devtmpfs: it appears asynchronously. */
static int open_dev(unsigned int n, int flags)
{
	int i, fd = -1;

	for (i = 0; i < 100 && fd < 0; i++) {
		fd = open(devpath(n), flags | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			usleep(50000);
		else
			break;
	}
	return fd;
}

static int pollhup(int handle, int timeout_ms)
{
	struct pollfd p = { .fd = handle, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) < 0)
		return -1;
	return !!(p.revents & POLLHUP);
}

static void check_attach(void)
{
	struct xloop_attach a, b;
	char link[128], want[128], fdinfo[512], path[64];
	struct stat st, st2;
	__u64 seq = 0;
	int h, h2, dev, n;
	FILE *f;

	h = attach(&a);
	check(h >= 0 && bound(a.number), "attach binds %s", devpath(a.number));
	check(!strcmp(loop_attr(a.number, "autoclear"), "0"),
	      "a handle's binding shows no autoclear while the handle lives");
	dev = open_dev(a.number, O_RDONLY);
	check(dev >= 0 && ioctl(dev, BLKGETDISKSEQ, &seq) == 0 && seq == a.diskseq,
	      "diskseq %llu is the device's (%llu)", (unsigned long long)a.diskseq,
	      (unsigned long long)seq);
	check(fstat(dev, &st) == 0 && major(st.st_rdev) == a.major &&
	      minor(st.st_rdev) == a.minor, "major:minor %u:%u is the node's",
	      a.major, a.minor);
	close(dev);
	check((fcntl(h, F_GETFD) & FD_CLOEXEC) != 0, "XLOOP_ATTACH_CLOEXEC sets FD_CLOEXEC");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", h);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "xloop:[%s%u]", prefix, a.number);
	check(!strcmp(link, want), "/proc/self/fd names it %s (%s)", want, link);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", h);
	f = fopen(path, "re");
	n = f ? (int)fread(fdinfo, 1, sizeof(fdinfo) - 1, f) : 0;
	fdinfo[n] = '\0';
	if (f)
		fclose(f);
	snprintf(want, sizeof(want), "xloop-device:\t%s%u\n", prefix, a.number);
	check(strstr(fdinfo, want) && strstr(fdinfo, "xloop-bound:\t1"),
	      "fdinfo names the device and says bound");
	check(pollhup(h, 0) == 0, "poll: no EPOLLHUP while bound");

	h2 = attach(&b);
	check(b.number != a.number, "a second attach takes another device");
	check(fstat(h, &st) == 0 && fstat(h2, &st2) == 0 && st.st_ino != st2.st_ino &&
	      st.st_dev == st2.st_dev, "each handle is an inode of its own");
	close(h2);
	check(!bound(b.number), "closing a handle of an unopened device detaches it at once");
	close(h);
	check(!bound(a.number), "and the first one too");
}

static void check_errors(void)
{
	int ctl = open_control(O_RDWR), file = open(image, O_RDWR | O_CLOEXEC);
	struct xloop_attach a, b;
	int h;

	if (file < 0)
		die(image);
	memset(&a, 0, sizeof(a));
	a.config.fd = file;
	a.index = -1;
	a.flags = 0x80;
	check(ioctl(ctl, XLOOP_CTL_ATTACH, &a) < 0 && errno == EINVAL,
	      "unknown flags: EINVAL");
	a.flags = 0;
	a.__reserved[3] = 1;
	check(ioctl(ctl, XLOOP_CTL_ATTACH, &a) < 0 && errno == EINVAL,
	      "reserved fields not zero: EINVAL");
	check(attach_fd(ctl, file, -1, LO_FLAGS_AUTOCLEAR, &a) < 0 && errno == EINVAL,
	      "LO_FLAGS_AUTOCLEAR: EINVAL");
	check(attach_fd(ctl, file, -2, 0, &a) < 0 && errno == EINVAL,
	      "index -2: EINVAL");
	check(attach_fd(ctl, 999, -1, 0, &a) < 0 && errno == EBADF,
	      "a closed backing fd: EBADF");
	check(attach_fd(ctl, ctl, -1, 0, &a) < 0 && errno == EINVAL,
	      "the control device as backing file: EINVAL");
	check(ioctl(ctl, XLOOP_CTL_ATTACH, (void *)8) < 0 && errno == EFAULT,
	      "a bad pointer: EFAULT");

	h = attach_fd(ctl, file, -1, 0, &a) ? -1 : a.handle_fd;
	check(h >= 0, "attach");
	check(attach_fd(ctl, file, (int)a.number, 0, &b) < 0 && errno == EBUSY,
	      "attaching the bound device by number: EBUSY");
	check(attach_fd(ctl, file, 200, 0, &b) == 0 && b.number == 200 && bound(200),
	      "a missing device asked for by number is made and bound");
	close(b.handle_fd);
	check(!bound(200), "and detached with its handle");
	close(h);
	close(file);
	close(ctl);
}

/*
 * Read-only: LOOP_CHANGE_FD is possible on such a device (the control: the
 * same bind through LOOP_CONFIGURE takes it), but not with a handle.
 */
static void check_rebind(void)
{
	int ctl = open_control(O_RDWR), file = open(image, O_RDONLY | O_CLOEXEC);
	int other = open(image, O_RDONLY | O_CLOEXEC), dev, h;
	struct loop_config c = { .fd = file, .info.lo_flags = LO_FLAGS_READ_ONLY };
	struct loop_info64 info;
	struct xloop_attach a;

	if (file < 0 || other < 0)
		die(image);
	h = ioctl(ctl, LOOP_CTL_GET_FREE);
	dev = h < 0 ? -1 : open_dev((unsigned int)h, O_RDONLY);
	check(dev >= 0 && ioctl(dev, LOOP_CONFIGURE, &c) == 0 &&
	      ioctl(dev, LOOP_CHANGE_FD, other) == 0,
	      "control: LOOP_CHANGE_FD on a read-only device bound without a handle");
	ioctl(dev, LOOP_CLR_FD, 0);
	close(dev);

	check(attach_fd(ctl, file, -1, LO_FLAGS_READ_ONLY, &a) == 0, "read-only attach");
	h = a.handle_fd;
	dev = open_dev(a.number, O_RDONLY);
	check(dev >= 0 && ioctl(dev, LOOP_CHANGE_FD, other) < 0 && errno == EBUSY,
	      "LOOP_CHANGE_FD on a handle's device: EBUSY");
	close(h);
	check(bound(a.number) && !strcmp(loop_attr(a.number, "autoclear"), "1"),
	      "the handle closed while the device is open: bound, with autoclear");
	memset(&info, 0, sizeof(info));
	check(ioctl(dev, LOOP_GET_STATUS64, &info) == 0 &&
	      (info.lo_flags & LO_FLAGS_AUTOCLEAR), "LOOP_GET_STATUS64 shows autoclear");
	info.lo_flags &= ~LO_FLAGS_AUTOCLEAR;
	check(ioctl(dev, LOOP_SET_STATUS64, &info) == 0 &&
	      !strcmp(loop_attr(a.number, "autoclear"), "1"),
	      "LOOP_SET_STATUS64 cannot clear it once the handle is gone");
	close(dev);
	check(!bound(a.number), "detached at the device's last close");
	close(other);
	close(file);
	close(ctl);

	/* A control device opened read-only binds read-only. */
	ctl = open_control(O_RDONLY);
	file = open(image, O_RDWR | O_CLOEXEC);
	check(attach_fd(ctl, file, -1, 0, &a) == 0, "attach through a read-only control");
	dev = open_dev(a.number, O_RDONLY);
	{
		int ro = 0;

		check(dev >= 0 && ioctl(dev, BLKROGET, &ro) == 0 && ro == 1,
		      "... makes a read-only device");
	}
	close(dev);
	close(a.handle_fd);
	close(file);
	close(ctl);
}

static void check_hangup(void)
{
	struct xloop_attach a;
	int h = attach(&a), dev;

	dev = open_dev(a.number, O_RDONLY);
	check(dev >= 0 && ioctl(dev, LOOP_CLR_FD, 0) == 0, "LOOP_CLR_FD by someone else");
	close(dev);
	check(pollhup(h, 5000) == 1, "poll reports EPOLLHUP once the device is detached");
	check(!bound(a.number), "the device is free");
	close(h);
	check(!bound(a.number), "closing the handle afterwards changes nothing");
}

/* A child attaches and is killed: its handle goes with it, and the device. */
static void check_kill(void)
{
	int pipefd[2];
	unsigned int n = 0;
	pid_t pid;

	if (pipe(pipefd))
		die("pipe");
	pid = fork();
	if (pid == 0) {
		struct xloop_attach a;

		attach(&a);
		if (write(pipefd[1], &a.number, sizeof(a.number)) != sizeof(a.number))
			_exit(2);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &n, sizeof(n)) != sizeof(n))
		die("read");
	check(bound(n), "the child's attachment is bound");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	check(!bound(n), "SIGKILL of its holder detaches it");
	close(pipefd[0]);
}

static int recv_fd(int sock)
{
	char data, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = buf, .msg_controllen = sizeof(buf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* One round of passing: returns 0 when every step held. */
static int pass_once(int verbose)
{
	int sv[2], h, fails = failures;
	unsigned int n;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	pid = fork();
	if (pid == 0) {
		struct xloop_attach a;

		close(sv[0]);
		h = attach(&a);
		if (write(sv[1], &a.number, sizeof(a.number)) != sizeof(a.number) ||
		    send_fd(sv[1], h))
			_exit(2);
		_exit(0);
	}
	close(sv[1]);
	if (read(sv[0], &n, sizeof(n)) != sizeof(n))
		die("read the device number");
	h = recv_fd(sv[0]);
	waitpid(pid, NULL, 0);
	if (verbose || h < 0 || !bound(n))
		check(h >= 0 && bound(n), "a handle passed over a unix socket keeps %s bound "
		      "after its sender exits", devpath(n));
	close(h);
	if (verbose || bound(n))
		check(!bound(n), "the receiver's close detaches it");
	close(sv[0]);
	return failures != fails;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "pass")) {
		int i, rounds = atoi(argv[5]), bad = 0;

		control = argv[2];
		prefix = argv[3];
		image = argv[4];
		for (i = 0; i < rounds; i++)
			bad += pass_once(0);
		check(!bad, "%d rounds of passing a handle, %d failed", rounds, bad);
		return failures ? 1 : 0;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: xloop_handles [pass] CONTROL PREFIX FILE [ROUNDS]\n");
		return 2;
	}
	control = argv[1];
	prefix = argv[2];
	image = argv[3];
	check_attach();
	check_errors();
	check_rebind();
	check_hangup();
	check_kill();
	pass_once(1);
	return failures ? 1 : 0;
}
