// SPDX-License-Identifier: GPL-2.0
/*
 * xloop_fuzz: hammer a loop driver from several processes at once, so that
 * races show up as warnings, oopses, leaks or hangs (the VM harness fails a
 * run on any of them).
 *
 *   xloop_fuzz MODE CONTROL PREFIX DIR SECONDS PROCS SEED
 *
 * MODE
 *   ioctl      every ioctl of the devices and of the control device with
 *              randomised arguments (XLOOP_CTL_ATTACH too, its handles
 *              kept, closed, polled, duplicated and dropped in flight on a
 *              unix socket) and backing descriptors of every kind
 *              (files, O_APPEND, O_DIRECT, pipes, sockets, directories,
 *              O_PATH, memfd, procfs, character devices, the devices
 *              themselves and their partitions), opens and closes, I/O,
 *              discards, partition table changes, device creation and
 *              removal, backing files shrinking and growing, sysfs reads;
 *   churn      short-lived opens, binds (some through handles) and
 *              detaches only, so that the
 *              caller can unload and load the module while they run (a
 *              missing device or control node is then expected);
 *   autoclear  processes share two devices: each binds its own file with
 *              LO_FLAGS_AUTOCLEAR, checks that its data reads back while it
 *              holds the device, and closes; the others keep opening and
 *              querying the same devices during the detach at last close.
 *              A read of someone else's data fails the run.
 *
 * Devices 0..NDEV-1 of PREFIX are the targets; DIR holds the backing files.
 * Results of single calls are not checked in the ioctl and churn modes
 * (concurrent callers make them vary): the kernel log and the clean-up
 * afterwards are the test.  Exit status: 0, or 1 if a check failed or the
 * run never reached the driver (no bind succeeded).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <linux/xloop.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "send_fd.h"

#define NDEV 4
#define MAX_FDS 2
#define MAX_HANDLES 2
#define MIB (1 << 20)

static const char *control, *prefix, *dir;
static uint64_t rng;

/* Counters a process reports to the parent through its exit status. */
static unsigned long n_ops, n_binds, n_reads;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static unsigned int below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static const char *dev_path(int n)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "/dev/%s%d", prefix, n);
	return buf;
}

static const char *file_path(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void make_file(const char *name, off_t size)
{
	int fd = open(file_path(name), O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, size) < 0) {
		perror(name);
		exit(2);
	}
	close(fd);
}

/* An MBR with two partitions, so that partition scans find something. */
static void make_disk(const char *name)
{
	unsigned char mbr[512];
	uint32_t parts[2][2] = { { 2048, 2048 }, { 4096, 2048 } };
	int fd = open(file_path(name), O_RDWR), i;

	memset(mbr, 0, sizeof(mbr));
	for (i = 0; i < 2; i++) {
		mbr[446 + 16 * i + 4] = 0x83;
		memcpy(&mbr[446 + 16 * i + 8], &parts[i][0], 4);
		memcpy(&mbr[446 + 16 * i + 12], &parts[i][1], 4);
	}
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	if (fd < 0 || pwrite(fd, mbr, sizeof(mbr), 0) != sizeof(mbr)) {
		perror(name);
		exit(2);
	}
	close(fd);
}

static uint64_t pick_offset(void)
{
	static const uint64_t v[] = { 0, 0, 0, 512, 4096, 1000, MIB,
				      3 * MIB, (uint64_t)1 << 62,
				      UINT64_MAX };

	return below(8) ? v[below(sizeof(v) / sizeof(v[0]))] : rnd();
}

static uint32_t pick_block_size(void)
{
	static const uint32_t v[] = { 0, 0, 512, 1024, 2048, 4096, 8192,
				      256, 1000, 65536 };

	return below(8) ? v[below(sizeof(v) / sizeof(v[0]))] : (uint32_t)rnd();
}

static uint32_t pick_flags(void)
{
	uint32_t f = below(32);

	return below(10) ? f : (uint32_t)rnd();
}

/* A descriptor of one of many kinds to hand to LOOP_SET_FD and friends. */
static int backing_fd(int self)
{
	int fds[2], fd = -1;
	char name[80];

	switch (below(18)) {
	case 0: case 1: case 2:
		return open(file_path("f0"), O_RDWR);
	case 3:
		return open(file_path("f1"), O_RDONLY);
	case 4:
		return open(file_path("f2"), O_RDWR);
	case 5:
		return open(file_path("disk"), O_RDWR);
	case 6:
		return open(file_path("f0"), O_RDWR | O_APPEND);
	case 7:
		return open(file_path("f2"), O_RDWR | O_DIRECT);
	case 8:
		if (pipe(fds) < 0)
			return -1;
		close(fds[1]);
		return fds[0];
	case 9:
		return socket(AF_UNIX, SOCK_STREAM, 0);
	case 10:
		return open(dir, O_RDONLY | O_DIRECTORY);
	case 11:
		return open(file_path("f0"), O_PATH);
	case 12:
		fd = memfd_create("xloop-fuzz", 0);
		if (fd >= 0 && ftruncate(fd, MIB) < 0) {
			close(fd);
			fd = -1;
		}
		return fd;
	case 13:
		return open("/proc/self/status", O_RDONLY);
	case 14:
		return open("/dev/null", O_RDWR);
	case 15:
		return open(dev_path(below(NDEV)), below(2) ? O_RDWR : O_RDONLY);
	case 16:
		snprintf(name, sizeof(name), "%sp%u", dev_path(below(NDEV)),
			 1 + below(2));
		return open(name, O_RDONLY);
	default:
		/* The device itself, or no descriptor at all. */
		return below(2) ? dup(self) : 9999;
	}
}

static void fill_random(void *buf, size_t len)
{
	uint64_t *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		p[i] = rnd();
}

static void random_info64(struct loop_info64 *info)
{
	memset(info, 0, sizeof(*info));
	if (!below(10)) {
		fill_random(info, sizeof(*info));
		return;
	}
	info->lo_offset = pick_offset();
	info->lo_sizelimit = below(3) ? 0 : pick_offset();
	info->lo_flags = pick_flags();
	if (!below(20))
		info->lo_encrypt_type = below(4);
	if (!below(20))
		info->lo_encrypt_key_size = below(64);
	snprintf((char *)info->lo_file_name, LO_NAME_SIZE, "fuzz-%u", below(100));
}

/* A pointer argument: mostly a valid buffer, sometimes not. */
static void *pointer_arg(void *valid)
{
	switch (below(10)) {
	case 0:
		return NULL;
	case 1:
		return (void *)1;
	case 2:
		return (void *)0xffff888000000000ULL;
	default:
		return valid;
	}
}

static int ctl_fd(void)
{
	return open(control, O_RDWR);
}

static void op_control(void)
{
	int fd = ctl_fd();
	int n = below(4) ? (int)below(NDEV + 2) : (int)rnd();

	if (fd < 0)
		return;
	switch (below(4)) {
	case 0:
		ioctl(fd, LOOP_CTL_ADD, below(3) ? n : -1);
		break;
	case 1:
		ioctl(fd, LOOP_CTL_REMOVE, n);
		break;
	case 2:
		ioctl(fd, LOOP_CTL_GET_FREE);
		break;
	default:
		ioctl(fd, 0x4C80 | below(16), rnd());
		break;
	}
	close(fd);
}

/* A backing file or device that can be bound, for binds meant to work. */
static int sane_backing_fd(void)
{
	static const char *const files[] = { "f0", "f1", "f2", "disk" };

	if (below(4))
		return open(file_path(files[below(4)]), below(3) ? O_RDWR : O_RDONLY);
	/* A chain onto another device (or onto itself, refused). */
	return open(dev_path(below(NDEV)), O_RDONLY);
}

static void op_configure(int dev)
{
	static const uint32_t sizes[] = { 0, 0, 512, 4096 };
	static const uint64_t offsets[] = { 0, 0, 512, 4096 };
	struct loop_config c;
	int sane = below(4), fd = sane ? sane_backing_fd() : backing_fd(dev);

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	if (sane) {
		/* Valid arguments: binds that succeed, so that the races
		 * with detaches, I/O and rescans actually happen. */
		c.block_size = sizes[below(4)];
		c.info.lo_offset = offsets[below(4)];
		c.info.lo_flags = below(16);
		snprintf((char *)c.info.lo_file_name, LO_NAME_SIZE, "fuzz");
	} else {
		c.block_size = pick_block_size();
		random_info64(&c.info);
	}
	if (ioctl(dev, LOOP_CONFIGURE, sane ? &c : pointer_arg(&c)) == 0)
		n_binds++;
	if (fd >= 0)
		close(fd);
}

/* XLOOP_CTL_ATTACH, sane or not; the handle, or -1. */
static int handle_attach(int dev)
{
	int ctl = ctl_fd(), sane = below(3), fd, h = -1;
	struct xloop_attach a;

	if (ctl < 0)
		return -1;
	fd = sane ? sane_backing_fd() : backing_fd(dev);
	memset(&a, 0, sizeof(a));
	a.config.fd = fd;
	if (sane) {
		a.config.info.lo_flags = below(16) & ~LO_FLAGS_AUTOCLEAR;
		a.index = below(2) ? -1 : (int)below(NDEV);
		a.flags = below(2) ? XLOOP_ATTACH_CLOEXEC : 0;
	} else {
		a.config.block_size = pick_block_size();
		random_info64(&a.config.info);
		a.index = below(4) ? (int)below(NDEV + 2) - 1 : (int)rnd();
		a.flags = below(4) ? 0 : (uint32_t)rnd();
		if (!below(8))
			a.__reserved[below(4)] = rnd();
	}
	if (ioctl(ctl, XLOOP_CTL_ATTACH, sane ? &a : pointer_arg(&a)) == 0) {
		n_binds++;
		h = a.handle_fd;
	}
	close(ctl);
	if (fd >= 0)
		close(fd);
	return h;
}

/* A handle sent over a unix socket that is closed unread. */
static void drop_in_flight(int h)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return;
	send_fd(sv[below(2)], h);
	close(sv[0]);
	close(sv[1]);
}

/* The handles this process holds, and what it does with them. */
static int handles[MAX_HANDLES] = { -1, -1 };

static void op_handle(int dev)
{
	int k = below(MAX_HANDLES), h = handles[k];
	struct pollfd p = { .fd = h, .events = POLLIN };
	char buf[512], path[64];
	struct stat st;
	int fd;

	switch (below(6)) {
	case 0: case 1:
		fd = handle_attach(dev);
		if (fd >= 0) {
			if (h >= 0)
				close(h);
			handles[k] = fd;
		}
		break;
	case 2:
		if (h >= 0)
			close(h);
		handles[k] = -1;
		break;
	case 3:
		poll(&p, 1, 0);
		fstat(h, &st);
		read(h, buf, sizeof(buf));
		write(h, buf, 1);
		ioctl(h, (unsigned int)rnd(), rnd());
		break;
	case 4:
		if (h >= 0) {
			drop_in_flight(h);
			close(h);
			handles[k] = -1;
		}
		break;
	default:
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", h);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			read(fd, buf, sizeof(buf));
			close(fd);
		}
		break;
	}
}

static void op_status(int dev)
{
	struct loop_info64 info;
	struct loop_info old;

	random_info64(&info);
	switch (below(4)) {
	case 0:
		ioctl(dev, LOOP_SET_STATUS64, pointer_arg(&info));
		break;
	case 1:
		fill_random(&old, sizeof(old));
		if (below(2))
			old.lo_encrypt_type = 0;
		ioctl(dev, LOOP_SET_STATUS, pointer_arg(&old));
		break;
	case 2:
		ioctl(dev, LOOP_GET_STATUS64, pointer_arg(&info));
		break;
	default:
		ioctl(dev, LOOP_GET_STATUS, pointer_arg(&old));
		break;
	}
}

static void op_io(int dev)
{
	static char buf[65536] __attribute__((aligned(4096)));
	uint64_t range[2];
	off_t pos = (off_t)below(8192) * 512;
	size_t len = 512 * (1 + below(128));

	switch (below(7)) {
	case 0: case 1:
		if (pread(dev, buf, len, pos) > 0)
			n_reads++;
		break;
	case 2:
		fill_random(buf, len);
		pwrite(dev, buf, len, pos);
		break;
	case 3:
		fsync(dev);
		break;
	case 4:
		range[0] = pos;
		range[1] = len;
		ioctl(dev, below(2) ? BLKDISCARD : BLKZEROOUT, range);
		break;
	case 5:
		ioctl(dev, BLKFLSBUF, 0);
		break;
	default:
		range[0] = 0;
		ioctl(dev, BLKGETSIZE64, &range[0]);
		break;
	}
}

static void op_partitions(int dev)
{
	struct blkpg_partition p;
	struct blkpg_ioctl_arg a;

	if (below(3) == 0) {
		ioctl(dev, BLKRRPART, 0);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.pno = 1 + below(3);
	p.start = (long long)below(8) * 512 * 1024;
	p.length = (long long)(1 + below(8)) * 512 * 1024;
	a.op = below(2) ? BLKPG_ADD_PARTITION : BLKPG_DEL_PARTITION;
	a.flags = 0;
	a.datalen = sizeof(p);
	a.data = &p;
	ioctl(dev, BLKPG, &a);
}

static void op_random_ioctl(int dev)
{
	char buf[4096];
	unsigned long arg;

	fill_random(buf, sizeof(buf));
	switch (below(3)) {
	case 0:
		arg = (unsigned long)pointer_arg(buf);
		break;
	case 1:
		arg = below(4096);
		break;
	default:
		arg = rnd();
		break;
	}
	ioctl(dev, 0x4C00 | below(256), arg);
}

static void op_resize_file(void)
{
	static const off_t sizes[] = { 0, MIB / 2, MIB, 2 * MIB, 3 * MIB + 123 };
	static const char *const names[] = { "f0", "f1", "f2" };

	truncate(file_path(names[below(3)]), sizes[below(5)]);
}

static void op_sysfs(void)
{
	static const char *const attrs[] = {
		"loop/backing_file", "loop/offset", "loop/sizelimit",
		"loop/autoclear", "loop/partscan", "loop/dio", "size", "ro",
		"queue/logical_block_size",
	};
	char path[256], buf[4096];
	int fd;

	snprintf(path, sizeof(path), "/sys/block/%s%u/%s", prefix, below(NDEV),
		 attrs[below(sizeof(attrs) / sizeof(attrs[0]))]);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		read(fd, buf, sizeof(buf));
		close(fd);
	}
}

/* Open a random target device; create it if it was removed. */
static int open_device(void)
{
	static const int modes[] = { O_RDWR, O_RDWR, O_RDONLY, O_RDWR | O_EXCL,
				     O_RDWR | O_NONBLOCK };
	int n = below(NDEV), fd = open(dev_path(n), modes[below(5)]);

	if (fd < 0 && errno == ENOENT) {
		int ctl = ctl_fd();

		if (ctl >= 0) {
			ioctl(ctl, LOOP_CTL_ADD, n);
			close(ctl);
		}
	}
	return fd;
}

static void fuzz_ioctl(time_t end)
{
	int fds[MAX_FDS], i, k, dev;

	for (i = 0; i < MAX_FDS; i++)
		fds[i] = -1;
	while (time(NULL) < end) {
		n_ops++;
		k = below(MAX_FDS);
		/* Close often: detaches wait for the last close. */
		if (fds[k] < 0 || !below(6)) {
			if (fds[k] >= 0)
				close(fds[k]);
			fds[k] = open_device();
			continue;
		}
		dev = fds[k];
		switch (below(23)) {
		case 0: case 1: case 2: case 19:
			op_configure(dev);
			break;
		case 3:
			{
				int fd = backing_fd(dev);

				if (ioctl(dev, LOOP_SET_FD, fd) == 0)
					n_binds++;
				if (fd >= 0)
					close(fd);
			}
			break;
		case 4:
			ioctl(dev, LOOP_CLR_FD, 0);
			break;
		case 6:
			{
				int fd = backing_fd(dev);

				ioctl(dev, LOOP_CHANGE_FD, fd);
				if (fd >= 0)
					close(fd);
			}
			break;
		case 7: case 8:
			op_status(dev);
			break;
		case 9:
			ioctl(dev, LOOP_SET_BLOCK_SIZE, (unsigned long)pick_block_size());
			break;
		case 10:
			ioctl(dev, LOOP_SET_CAPACITY, 0);
			break;
		case 11:
			ioctl(dev, LOOP_SET_DIRECT_IO, (unsigned long)below(3));
			break;
		case 5: case 12: case 13: case 14: case 20:
			op_io(dev);
			break;
		case 15:
			op_partitions(dev);
			break;
		case 16:
			op_random_ioctl(dev);
			break;
		case 17:
			op_control();
			break;
		case 18:
			op_resize_file();
			break;
		case 21:
			op_handle(dev);
			break;
		default:
			op_sysfs();
			break;
		}
	}
	for (i = 0; i < MAX_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < MAX_HANDLES; i++)
		if (handles[i] >= 0)
			close(handles[i]);
}

/*
 * Short-lived everything, in bursts with pauses between them: nothing holds
 * the module for long, so that rmmod sometimes gets through mid-run.
 */
static void fuzz_churn(time_t end)
{
	char buf[4096];
	int dev, fd;

	while (time(NULL) < end) {
		n_ops++;
		if (!below(8))
			usleep(20000 + below(60000));
		switch (below(5)) {
		case 0:
			op_control();
			break;
		case 1:
			op_sysfs();
			break;
		case 2:
			/* A handle that lives a moment; its close detaches. */
			fd = handle_attach(-1);
			if (fd >= 0)
				close(fd);
			break;
		default:
			dev = open(dev_path(below(NDEV)), O_RDWR);
			if (dev < 0) {
				usleep(1000);
				break;
			}
			fd = open(file_path("f0"), O_RDWR);
			if (fd >= 0 && ioctl(dev, LOOP_SET_FD, fd) == 0) {
				n_binds++;
				if (pread(dev, buf, sizeof(buf), 0) > 0)
					n_reads++;
				if (below(2))
					ioctl(dev, LOOP_CLR_FD, 0);
				else
					ioctl(dev, LOOP_SET_STATUS64,
					      &(struct loop_info64){
						      .lo_flags = LO_FLAGS_AUTOCLEAR });
			}
			if (fd >= 0)
				close(fd);
			close(dev);
			break;
		}
	}
}

/*
 * Bind our own file with AUTOCLEAR, check that our data reads back while we
 * hold the device, close; others do the same on the same two devices.
 */
static int fuzz_autoclear(time_t end, int me)
{
	char name[32], want[4096], got[4096];
	struct loop_config c;
	int file, dev, other, index, failed = 0;

	snprintf(name, sizeof(name), "own%d", me);
	make_file(name, MIB);
	file = open(file_path(name), O_RDWR);
	if (file < 0)
		return 1;
	while (time(NULL) < end && !failed) {
		n_ops++;
		index = below(2);
		dev = open(dev_path(index), O_RDWR);
		if (dev < 0)
			continue;	/* ENXIO while a detach runs */
		if (below(2)) {
			/* Someone else's turn: just look. */
			struct loop_info64 info;

			ioctl(dev, LOOP_GET_STATUS64, &info);
			pread(dev, got, sizeof(got), 0);
			close(dev);
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.fd = file;
		c.info.lo_flags = LO_FLAGS_AUTOCLEAR |
				  (below(4) ? 0 : LO_FLAGS_PARTSCAN);
		snprintf((char *)c.info.lo_file_name, LO_NAME_SIZE, "%s", name);
		if (ioctl(dev, LOOP_CONFIGURE, &c) < 0) {
			close(dev);
			continue;	/* EBUSY: bound by another process */
		}
		n_binds++;
		memset(want, me + 1, sizeof(want));
		snprintf(want, 64, "%s %lu", name, n_binds);
		other = below(2) ? open(dev_path(index), O_RDONLY) : -1;
		if (pwrite(dev, want, sizeof(want), 8192) != sizeof(want) ||
		    fdatasync(dev) < 0 ||
		    pread(dev, got, sizeof(got), 8192) != sizeof(got) ||
		    memcmp(want, got, sizeof(got))) {
			fprintf(stderr, "xloop_fuzz: %s: data of %s did not read back: %s\n",
				dev_path(index), name, strerror(errno));
			failed = 1;
		}
		n_reads++;
		if (other >= 0 && below(2)) {
			close(dev);
			dev = other;
			other = -1;
		}
		close(dev);
		if (other >= 0)
			close(other);
	}
	close(file);
	return failed;
}

int main(int argc, char **argv)
{
	unsigned long ops = 0, binds = 0, reads = 0;
	int procs, i, st, failed = 0;
	const char *mode;
	uint64_t seed;
	time_t end;
	int fds[2];

	if (argc != 8) {
		fprintf(stderr, "usage: xloop_fuzz ioctl|churn|autoclear CONTROL PREFIX DIR SECONDS PROCS SEED\n");
		return 2;
	}
	mode = argv[1];
	control = argv[2];
	prefix = argv[3];
	dir = argv[4];
	end = time(NULL) + atoi(argv[5]);
	procs = atoi(argv[6]);
	seed = strtoull(argv[7], NULL, 0);
	printf("xloop_fuzz %s: %d processes, %s s, seed %llu\n", mode, procs,
	       argv[5], (unsigned long long)seed);
	fflush(stdout);
	make_file("f0", MIB);
	make_file("f1", MIB);
	make_file("f2", 2 * MIB);
	make_file("disk", 4 * MIB);
	make_disk("disk");
	if (pipe(fds) < 0)
		return 2;
	for (i = 0; i < procs; i++) {
		if (fork() == 0) {
			unsigned long counts[3];
			int rc = 0;

			close(fds[0]);
			rng = seed * 1000003 + i + 1;
			if (!strcmp(mode, "ioctl"))
				fuzz_ioctl(end);
			else if (!strcmp(mode, "churn"))
				fuzz_churn(end);
			else
				rc = fuzz_autoclear(end, i);
			counts[0] = n_ops;
			counts[1] = n_binds;
			counts[2] = n_reads;
			if (write(fds[1], counts, sizeof(counts)) != sizeof(counts))
				rc = 1;
			_exit(rc);
		}
	}
	close(fds[1]);
	for (i = 0; i < procs; i++) {
		unsigned long counts[3];

		if (read(fds[0], counts, sizeof(counts)) == sizeof(counts)) {
			ops += counts[0];
			binds += counts[1];
			reads += counts[2];
		}
	}
	for (i = 0; i < procs; i++)
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	printf("xloop_fuzz %s: %lu operations, %lu binds, %lu reads%s\n", mode,
	       ops, binds, reads, failed ? ", a process failed" : "");
	/* A run that never bound a device tested nothing. */
	return failed || !binds;
}
