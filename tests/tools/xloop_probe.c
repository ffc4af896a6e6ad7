// SPDX-License-Identifier: GPL-2.0
/*
 * xloop_probe: drive a loop driver through its ioctls and print every
 * result, so the same run against the stock loop.ko and against xloop.ko can
 * be diffed.  Device names and numbers are printed normalised ("DEV", "self")
 * so that only behaviour differs.
 *
 *   xloop_probe abi CONTROL PREFIX DIR       the scripted ABI sequence
 *   xloop_probe uevents CONTROL PREFIX DIR   uevents of attach/resize/detach
 *   xloop_probe stress CONTROL PREFIX DIR CYCLES PROCS
 *   xloop_probe cycles CONTROL PREFIX DIR COUNT [STEPS]
 *                                            every lifecycle and error path
 *                                            COUNT times (leak check)
 *   xloop_probe attach CONTROL PREFIX FILE [ro|partscan|dio|autoclear|append|sync|odirect|on=DEVICE]...
 *                                            (append, sync, odirect: the backing
 *                                            file is opened O_APPEND, O_SYNC,
 *                                            O_DIRECT)
 *   xloop_probe detach DEVICE
 *   xloop_probe changefd DEVICE FILE         LOOP_CHANGE_FD, prints the result
 *                                            (FILE "fd:N": the inherited
 *                                            descriptor N, not a path)
 *   xloop_probe setfd DEVICE FILE [rw]       LOOP_SET_FD, prints the result and
 *                                            detaches again if it succeeded
 *   xloop_probe ctl CONTROL add|remove N     LOOP_CTL_ADD/REMOVE, prints the result
 *   xloop_probe mbr FILE                     an MBR with one partition (1-3 MiB)
 *
 * CONTROL is the control device (/dev/loop-control, /dev/xloop-control),
 * PREFIX the disk name prefix (loop, xloop), DIR a scratch directory.
 * Lines tagged "[6.12]" show behaviour that changed in 6.12 (xloop has the
 * 6.12 behaviour on every kernel).  Exit status: 0 unless the run itself
 * could not proceed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <linux/netlink.h>
#include <linux/xloop.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "send_fd.h"

static const char *control, *prefix, *dir;

static void die(const char *what)
{
	fprintf(stderr, "xloop_probe: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Print a step's outcome: the return value, or the errno name. */
static void show(const char *step, long rc)
{
	if (rc < 0)
		printf("%s: %s\n", step, strerrorname_np(errno));
	else
		printf("%s: %ld\n", step, rc);
	fflush(stdout);
}

/* As show(), but a non-negative result prints as "ok" (it varies). */
static void show_ok(const char *step, long rc)
{
	if (rc < 0)
		show(step, rc);
	else
		printf("%s: ok\n", step);
	fflush(stdout);
}

static char *devpath(int n)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "/dev/%s%d", prefix, n);
	return buf;
}

static char *path_in_dir(const char *name)
{
	static char buf[2][4096];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* Read /sys/block/<prefix><n>/<attr>, trimmed; "-" if absent. */
static const char *sysattr(int n, const char *attr)
{
	static char buf[4096];
	char path[256];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/sys/block/%s%d/%s", prefix, n, attr);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return "-";
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return "-";
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return buf;
}

static void show_sysfs(const char *step, int n)
{
	static const char *const attrs[] = {
		"loop/offset", "loop/sizelimit", "loop/autoclear",
		"loop/partscan", "loop/dio", "ro", "size",
		"queue/logical_block_size", "queue/physical_block_size",
		"queue/minimum_io_size", "queue/rotational",
	};
	const char *bf = sysattr(n, "loop/backing_file");
	const char *base = strrchr(bf, '/');
	size_t i;

	printf("%s: backing_file=%s", step, base ? base + 1 : bf);
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		printf(" %s=%s", attrs[i], sysattr(n, attrs[i]));
	printf("\n");
	fflush(stdout);
}

static void make_file(const char *name, off_t size)
{
	int fd = open(path_in_dir(name), O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, size) < 0)
		die(name);
	close(fd);
}

static int open_file(const char *name, int flags)
{
	int fd = open(path_in_dir(name), flags);

	if (fd < 0)
		die(name);
	return fd;
}

static void show_status64(const char *step, int fd, int n, const char *file)
{
	struct loop_info64 info;
	struct stat st;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0) {
		show(step, -1);
		return;
	}
	if (file && stat(path_in_dir(file), &st) < 0)
		die(file);
	printf("%s: number=%s offset=%llu sizelimit=%llu flags=0x%x name=%s dev=%s ino=%s\n",
	       step, (int)info.lo_number == n ? "self" : "other",
	       (unsigned long long)info.lo_offset,
	       (unsigned long long)info.lo_sizelimit, info.lo_flags,
	       (char *)info.lo_file_name,
	       file ? (info.lo_device == st.st_dev ? "match" : "differs") : "?",
	       file ? (info.lo_inode == st.st_ino ? "match" : "differs") : "?");
	fflush(stdout);
}

static void show_status_old(const char *step, int fd, int n)
{
	struct loop_info info;

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, LOOP_GET_STATUS, &info) < 0) {
		show(step, -1);
		return;
	}
	printf("%s: number=%s offset=%d flags=0x%x name=%s\n", step,
	       info.lo_number == n ? "self" : "other", info.lo_offset,
	       info.lo_flags, info.lo_name);
	fflush(stdout);
}

static void show_size(const char *step, int fd)
{
	uint64_t size = 0;

	if (ioctl(fd, BLKGETSIZE64, &size) < 0)
		show(step, -1);
	else
		printf("%s: %llu\n", step, (unsigned long long)size);
	fflush(stdout);
}

static int configure(int dev, int file, uint32_t flags, uint32_t bsize,
		     uint64_t offset, uint64_t sizelimit)
{
	struct loop_config c;

	memset(&c, 0, sizeof(c));
	c.fd = file;
	c.block_size = bsize;
	c.info.lo_flags = flags;
	c.info.lo_offset = offset;
	c.info.lo_sizelimit = sizelimit;
	strcpy((char *)c.info.lo_file_name, "probe-image");
	return ioctl(dev, LOOP_CONFIGURE, &c);
}

static int set_status64(int dev, uint32_t flags, uint64_t offset,
			uint64_t sizelimit)
{
	struct loop_info64 info;

	memset(&info, 0, sizeof(info));
	info.lo_flags = flags;
	info.lo_offset = offset;
	info.lo_sizelimit = sizelimit;
	strcpy((char *)info.lo_file_name, "renamed");
	return ioctl(dev, LOOP_SET_STATUS64, &info);
}

static int get_free(void)
{
	int ctl = open(control, O_RDWR);
	int n;

	if (ctl < 0)
		die(control);
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	if (n < 0)
		die("LOOP_CTL_GET_FREE");
	close(ctl);
	return n;
}

static int open_dev(int n, int flags)
{
	int fd = open(devpath(n), flags);

	if (fd < 0)
		die(devpath(n));
	return fd;
}

static void fill(char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)(seed + i * 7 + (i >> 9));
}

/* Data written through the device lands at offset + position in the file. */
static void io_check(const char *step, int dev, const char *file, off_t offset)
{
	char out[8192], in[8192];
	int fd = open_file(file, O_RDONLY);
	int ok;

	fill(out, sizeof(out), 42);
	ok = pwrite(dev, out, sizeof(out), 4096) == (ssize_t)sizeof(out) &&
	     fsync(dev) == 0 &&
	     pread(fd, in, sizeof(in), offset + 4096) == (ssize_t)sizeof(in) &&
	     memcmp(in, out, sizeof(in)) == 0;
	printf("%s: %s\n", step, ok ? "data matches" : "DATA DIFFERS");
	close(fd);
	fflush(stdout);
}

/* The detach of 6.12: the device refuses new openers until the last close. */
static void show_open(const char *step, int n)
{
	int fd = open(devpath(n), O_RDONLY);

	show(step, fd < 0 ? -1 : 0);
	if (fd >= 0)
		close(fd);
}

static void write_mbr(const char *name)
{
	unsigned char mbr[512];
	int fd = open_file(name, O_RDWR);
	uint32_t start = 2048, count = 4096;

	memset(mbr, 0, sizeof(mbr));
	mbr[446 + 4] = 0x83;
	memcpy(&mbr[446 + 8], &start, 4);
	memcpy(&mbr[446 + 12], &count, 4);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	if (pwrite(fd, mbr, sizeof(mbr), 0) != sizeof(mbr))
		die("mbr");
	close(fd);
}

static void show_partition(const char *step, int n)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/block/%s%d/%s%dp1", prefix, n,
		 prefix, n);
	printf("%s: p1 %s\n", step, stat(path, &st) == 0 ? "present" : "absent");
	fflush(stdout);
}

static void abi_control(void)
{
	int ctl = open(control, O_RDWR);

	if (ctl < 0)
		die(control);
	show_ok("ctl get_free", ioctl(ctl, LOOP_CTL_GET_FREE));
	show("ctl add 200", ioctl(ctl, LOOP_CTL_ADD, 200));
	show("ctl add 200 again", ioctl(ctl, LOOP_CTL_ADD, 200));
	show("ctl remove 200", ioctl(ctl, LOOP_CTL_REMOVE, 200));
	show("ctl remove 200 again", ioctl(ctl, LOOP_CTL_REMOVE, 200));
	show("ctl remove -1", ioctl(ctl, LOOP_CTL_REMOVE, -1));
	show("ctl unknown", ioctl(ctl, 0x4C8F, 0));
	close(ctl);
}

static void abi_unbound(int n)
{
	int dev = open_dev(n, O_RDWR);
	int file = open_file("img", O_RDWR);
	struct loop_info64 info;

	memset(&info, 0, sizeof(info));
	show("unbound get_status64 NULL", ioctl(dev, LOOP_GET_STATUS64, NULL));
	show("unbound get_status NULL", ioctl(dev, LOOP_GET_STATUS, NULL));
	show("unbound get_status64", ioctl(dev, LOOP_GET_STATUS64, &info));
	show("unbound set_status64", ioctl(dev, LOOP_SET_STATUS64, &info));
	show("unbound clr_fd", ioctl(dev, LOOP_CLR_FD, 0));
	show("unbound set_capacity", ioctl(dev, LOOP_SET_CAPACITY, 0));
	show("unbound set_direct_io", ioctl(dev, LOOP_SET_DIRECT_IO, 1));
	show("unbound set_block_size", ioctl(dev, LOOP_SET_BLOCK_SIZE, 4096));
	show("unbound change_fd", ioctl(dev, LOOP_CHANGE_FD, file));
	show("unbound unknown ioctl", ioctl(dev, 0x4CFF, 0));
	show_sysfs("unbound sysfs", n);
	close(file);
	close(dev);
}

static void abi_configure_errors(int n)
{
	int dev = open_dev(n, O_RDWR);
	int file = open_file("img", O_RDWR);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct loop_config c;

	show("set_fd bad fd", ioctl(dev, LOOP_SET_FD, -1));
	show("set_fd directory", ioctl(dev, LOOP_SET_FD, dirfd));
	show("set_fd self", ioctl(dev, LOOP_SET_FD, dev));
	show("configure bad flags", configure(dev, file, 0x80, 0, 0, 0));
	show("configure block 1000", configure(dev, file, 0, 1000, 0, 0));
	show("configure block 256", configure(dev, file, 0, 256, 0, 0));
	show("configure offset overflow",
	     configure(dev, file, 0, 0, (uint64_t)1 << 63, 0));
	/* 6.1 checked the block size first, 6.12 the loop_info. */
	show("[6.12] configure block 1000 offset overflow",
	     configure(dev, file, 0, 1000, (uint64_t)1 << 63, 0));
	memset(&c, 0, sizeof(c));
	c.fd = file;
	c.info.lo_encrypt_type = 1;
	show("configure xor", ioctl(dev, LOOP_CONFIGURE, &c));
	c.info.lo_encrypt_type = 0;
	c.info.lo_encrypt_key_size = 33;
	show("configure key size", ioctl(dev, LOOP_CONFIGURE, &c));
	show("configure NULL", ioctl(dev, LOOP_CONFIGURE, NULL));
	show_sysfs("after errors sysfs", n);
	close(dirfd);
	close(file);
	close(dev);
}

static void abi_bound(int n)
{
	int dev = open_dev(n, O_RDWR);
	int file = open_file("img", O_RDWR);
	int other = open_file("img2", O_RDWR);

	show("configure offset 512", configure(dev, file, 0, 0, 512, 0));
	show_size("size", dev);
	show_status64("status64", dev, n, "img");
	show_status_old("status", dev, n);
	show_sysfs("sysfs", n);
	show("configure again", configure(dev, file, 0, 0, 0, 0));
	show("set_fd again", ioctl(dev, LOOP_SET_FD, file));
	io_check("io", dev, "img", 512);

	show("set_status64 all flags",
	     set_status64(dev, LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR |
				       LO_FLAGS_PARTSCAN | LO_FLAGS_DIRECT_IO,
			  512, 0));
	show_status64("flags set", dev, n, "img");
	show("set_status64 no flags", set_status64(dev, 0, 512, 0));
	show_status64("flags cleared", dev, n, "img");
	show("set_status64 sizelimit 4096", set_status64(dev, 0, 512, 4096));
	show_size("size sizelimit", dev);
	show_sysfs("sysfs sizelimit", n);
	{
		struct loop_info old;

		memset(&old, 0, sizeof(old));
		old.lo_offset = 1024;
		show("set_status old offset 1024",
		     ioctl(dev, LOOP_SET_STATUS, &old));
	}
	show_status64("after old set", dev, n, "img");
	show_size("size after old set", dev);
	if (truncate(path_in_dir("img"), 4 << 20) < 0)
		die("truncate");
	show_size("size before set_capacity", dev);
	show("set_capacity", ioctl(dev, LOOP_SET_CAPACITY, 0));
	show_size("size after set_capacity", dev);

	show("set_block_size 1000", ioctl(dev, LOOP_SET_BLOCK_SIZE, 1000));
	show("set_block_size 8192", ioctl(dev, LOOP_SET_BLOCK_SIZE, 8192));
	show("set_block_size 4096", ioctl(dev, LOOP_SET_BLOCK_SIZE, 4096));
	show_sysfs("sysfs block 4096", n);
	show("set_block_size 4096 again", ioctl(dev, LOOP_SET_BLOCK_SIZE, 4096));
	show("set_block_size 512", ioctl(dev, LOOP_SET_BLOCK_SIZE, 512));
	show("set_direct_io 1", ioctl(dev, LOOP_SET_DIRECT_IO, 1));
	show_sysfs("sysfs dio", n);
	show("set_direct_io 0", ioctl(dev, LOOP_SET_DIRECT_IO, 0));
	show("change_fd on rw", ioctl(dev, LOOP_CHANGE_FD, other));
	show("blkrrpart without partscan", ioctl(dev, BLKRRPART, 0));
	{
		int ctl = open(control, O_RDWR);

		show("ctl remove bound", ioctl(ctl, LOOP_CTL_REMOVE, n));
		close(ctl);
	}
	show("clr_fd", ioctl(dev, LOOP_CLR_FD, 0));
	show("[6.12] get_status64 after clr_fd", ioctl(dev, LOOP_GET_STATUS64,
							&(struct loop_info64){ 0 }));
	show_open("[6.12] open after clr_fd", n);
	show("[6.12] clr_fd twice", ioctl(dev, LOOP_CLR_FD, 0));
	close(dev);
	show_open("open after close", n);
	show_sysfs("sysfs after detach", n);
	close(other);
	close(file);
}

static void abi_read_only(int n)
{
	int dev = open_dev(n, O_RDWR);
	int file = open_file("img", O_RDONLY);
	int same = open_file("img3", O_RDONLY);
	int bigger = open_file("img2", O_RDONLY);
	int ro = 0;
	char buf[512] = { 0 };

	show("ro set_fd", ioctl(dev, LOOP_SET_FD, file));
	show_status64("ro status", dev, n, "img");
	show("ro blkroget", ioctl(dev, BLKROGET, &ro));
	printf("ro flag: %d\n", ro);
	errno = 0;
	show("ro write", pwrite(dev, buf, sizeof(buf), 0));
	show("ro change_fd bad fd", ioctl(dev, LOOP_CHANGE_FD, -1));
	show("ro change_fd other size", ioctl(dev, LOOP_CHANGE_FD, bigger));
	show("ro change_fd self", ioctl(dev, LOOP_CHANGE_FD, dev));
	show("ro change_fd same size", ioctl(dev, LOOP_CHANGE_FD, same));
	show_status64("ro after change_fd", dev, n, "img3");
	show_sysfs("ro sysfs", n);
	show("ro clr_fd", ioctl(dev, LOOP_CLR_FD, 0));
	close(dev);
	close(file);
	close(same);
	close(bigger);
}

/* A chain n -> file, m -> n; then n must not be switched onto m. */
static void abi_recursion(int n)
{
	int a = open_dev(n, O_RDWR), b, m;
	int file = open_file("img3", O_RDONLY);

	show("chain bind a", ioctl(a, LOOP_SET_FD, file));
	m = get_free();
	b = open_dev(m, O_RDWR);
	show("chain bind b on a", ioctl(b, LOOP_SET_FD, a));
	show("chain change a to b", ioctl(a, LOOP_CHANGE_FD, b));
	show("chain clr b", ioctl(b, LOOP_CLR_FD, 0));
	close(b);
	show("chain clr a", ioctl(a, LOOP_CLR_FD, 0));
	close(a);
	close(file);
}

static void abi_partitions(int n)
{
	int dev = open_dev(n, O_RDWR);
	int file = open_file("disk", O_RDWR);

	show("partscan configure", configure(dev, file, LO_FLAGS_PARTSCAN, 0, 0, 0));
	show_partition("partscan after configure", n);
	show("blkrrpart", ioctl(dev, BLKRRPART, 0));
	show_partition("partscan after blkrrpart", n);
	show("partscan clr_fd", ioctl(dev, LOOP_CLR_FD, 0));
	close(dev);
	show_partition("partscan after detach", n);
	/* Enabling PARTSCAN later through SET_STATUS64 scans as well. */
	dev = open_dev(n, O_RDWR);
	show("late configure", configure(dev, file, 0, 0, 0, 0));
	show_partition("late before", n);
	show("late set_status64 partscan", set_status64(dev, LO_FLAGS_PARTSCAN, 0, 0));
	show_partition("late after", n);
	show("late clr_fd", ioctl(dev, LOOP_CLR_FD, 0));
	close(dev);
	show_partition("late after detach", n);
	close(file);
}

static void abi_lifecycle(int n)
{
	int file = open_file("img", O_RDWR);
	int a = open_dev(n, O_RDWR), b, ctl;

	/* Autoclear: detach at the last close. */
	show("autoclear configure", configure(a, file, LO_FLAGS_AUTOCLEAR, 0, 0, 0));
	show_sysfs("autoclear bound", n);
	close(a);
	show_sysfs("autoclear after close", n);

	/* CLR_FD with another opener: only marks for autoclear. */
	a = open_dev(n, O_RDWR);
	b = open_dev(n, O_RDONLY);
	show("lazy configure", configure(a, file, 0, 0, 0, 0));
	show("lazy clr_fd", ioctl(a, LOOP_CLR_FD, 0));
	show_status64("lazy still bound", b, n, "img");
	ctl = open(control, O_RDWR);
	show("lazy ctl remove open", ioctl(ctl, LOOP_CTL_REMOVE, n));
	close(a);
	show_sysfs("lazy after first close", n);
	close(b);
	show_sysfs("lazy after last close", n);
	show_ok("remove add", ioctl(ctl, LOOP_CTL_ADD, 150));
	show("remove unbound", ioctl(ctl, LOOP_CTL_REMOVE, 150));
	close(ctl);
	close(file);
}

/* SET_STATUS needs a writable open or CAP_SYS_ADMIN. */
static void abi_permissions(int n)
{
	int file = open_file("img", O_RDWR);
	int dev = open_dev(n, O_RDWR);
	pid_t pid;
	int st;

	show("perm configure", configure(dev, file, 0, 0, 0, 0));
	pid = fork();
	if (pid == 0) {
		int ro = open_dev(n, O_RDONLY);
		struct loop_info64 info;
		struct loop_info old;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			die("setuid");
		memset(&info, 0, sizeof(info));
		memset(&old, 0, sizeof(old));
		show("perm ro set_status64", ioctl(ro, LOOP_SET_STATUS64, &info));
		/* 6.1 lacks this check on the compat path. */
		show("[6.12] perm ro set_status", ioctl(ro, LOOP_SET_STATUS, &old));
		show("perm ro set_capacity", ioctl(ro, LOOP_SET_CAPACITY, 0));
		show("perm ro set_direct_io", ioctl(ro, LOOP_SET_DIRECT_IO, 0));
		show("perm ro set_block_size", ioctl(ro, LOOP_SET_BLOCK_SIZE, 512));
		show("perm ro get_status64", ioctl(ro, LOOP_GET_STATUS64, &info) < 0 ? -1 : 0);
		show("perm rw set_status64", ioctl(dev, LOOP_SET_STATUS64, &info));
		exit(0);
	}
	waitpid(pid, &st, 0);
	show("perm clr_fd", ioctl(dev, LOOP_CLR_FD, 0));
	close(dev);
	close(file);
}

/* Reads past the end of a file that shrank; discard and write-zeroes. */
static void abi_io(int n)
{
	int file = open_file("img", O_RDWR);
	int dev = open_dev(n, O_RDWR);
	char buf[4096], zero[4096];
	uint64_t range[2] = { 8192, 8192 };

	memset(zero, 0, sizeof(zero));
	show("io configure", configure(dev, file, 0, 0, 0, 0));
	fill(buf, sizeof(buf), 3);
	show("io write", pwrite(dev, buf, sizeof(buf), 8192));
	show("io fsync", fsync(dev));
	show("io blkzeroout", ioctl(dev, BLKZEROOUT, range));
	show("io read zeroed", pread(dev, buf, sizeof(buf), 8192));
	printf("io zeroed: %s\n", memcmp(buf, zero, sizeof(buf)) ? "no" : "yes");
	fill(buf, sizeof(buf), 5);
	show("io write again", pwrite(dev, buf, sizeof(buf), 8192));
	show("io fsync again", fsync(dev));
	show("io blkdiscard", ioctl(dev, BLKDISCARD, range));
	show("io clr_fd", ioctl(dev, LOOP_CLR_FD, 0));
	close(dev);
	close(file);
}

/*
 * Descriptors of every kind as backing files, for LOOP_SET_FD and, on a
 * read-only device, LOOP_CHANGE_FD.  A bind that works shows its size and
 * flags and is undone.
 */
static void abi_backing_kinds(int n)
{
	static const char *const kinds[] = {
		"pipe", "socket", "o_path", "memfd", "procfs", "devnull",
		"wronly", "append", "symlink",
	};
	int i, fd = -1, dev, ro, p[2];
	const char *tag;
	char step[96];

	if (symlink("img", path_in_dir("link")) < 0 && errno != EEXIST)
		die("symlink");
	for (i = 0; i < (int)(sizeof(kinds) / sizeof(kinds[0])); i++) {
		switch (i) {
		case 0:
			if (pipe(p) < 0)
				die("pipe");
			close(p[1]);
			fd = p[0];
			break;
		case 1:
			fd = socket(AF_UNIX, SOCK_STREAM, 0);
			break;
		case 2:
			fd = open_file("img", O_PATH);
			break;
		case 3:
			fd = memfd_create("xloop-probe", 0);
			if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
				die("memfd");
			break;
		case 4:
			fd = open("/proc/self/status", O_RDONLY);
			break;
		case 5:
			fd = open("/dev/null", O_RDWR);
			break;
		case 6:
			fd = open_file("img", O_WRONLY);
			break;
		case 7:
			fd = open_file("img", O_RDWR | O_APPEND);
			break;
		default:
			fd = open_file("link", O_PATH | O_NOFOLLOW);
			break;
		}
		if (fd < 0)
			die(kinds[i]);
		/* 6.12 refuses a procfs file, 6.1 took it: xloop answers as 6.12. */
		tag = i == 4 ? "[6.12] " : "";
		dev = open_dev(n, O_RDWR);
		snprintf(step, sizeof(step), "%sbacking %s set_fd", tag, kinds[i]);
		show(step, ioctl(dev, LOOP_SET_FD, fd));
		snprintf(step, sizeof(step), "%sbacking %s", tag, kinds[i]);
		show_size(step, dev);
		show_status64(step, dev, n, NULL);
		ioctl(dev, LOOP_CLR_FD, 0);
		close(dev);
		/* The same descriptor handed to a read-only device. */
		dev = open_dev(n, O_RDWR);
		ro = open_file("img3", O_RDONLY);
		if (ioctl(dev, LOOP_SET_FD, ro) < 0)
			die("ro set_fd");
		snprintf(step, sizeof(step), "%sbacking %s change_fd", tag, kinds[i]);
		show(step, ioctl(dev, LOOP_CHANGE_FD, fd));
		ioctl(dev, LOOP_CLR_FD, 0);
		close(dev);
		close(ro);
		close(fd);
	}
}

static void abi(void)
{
	int n;

	make_file("img", 1 << 20);
	make_file("img2", 2 << 20);
	make_file("img3", 1 << 20);
	make_file("disk", 4 << 20);
	write_mbr("disk");
	abi_control();
	n = get_free();
	abi_unbound(n);
	abi_configure_errors(n);
	abi_bound(n);
	make_file("img", 1 << 20);
	abi_read_only(n);
	abi_recursion(n);
	abi_partitions(n);
	abi_lifecycle(n);
	abi_permissions(n);
	abi_io(n);
	abi_backing_kinds(n);
}

/* Print the uevents about disk @name until @ms pass without one. */
static void drain_uevents(int sock, const char *name, int ms)
{
	char buf[8192];
	struct pollfd p = { .fd = sock, .events = POLLIN };

	while (poll(&p, 1, ms) > 0) {
		ssize_t len = recv(sock, buf, sizeof(buf) - 1, 0);
		char *s, *action = NULL, *devname = NULL;
		int resize = 0, media = 0;

		if (len <= 0)
			break;
		buf[len] = '\0';
		for (s = buf; s < buf + len; s += strlen(s) + 1) {
			if (!strncmp(s, "ACTION=", 7))
				action = s + 7;
			else if (!strncmp(s, "DEVNAME=", 8))
				devname = s + 8;
			else if (!strcmp(s, "RESIZE=1"))
				resize = 1;
			else if (!strcmp(s, "DISK_MEDIA_CHANGE=1"))
				media = 1;
		}
		if (!action || !devname || strcmp(devname, name))
			continue;
		printf("uevent: %s%s%s\n", action, resize ? " RESIZE=1" : "",
		       media ? " DISK_MEDIA_CHANGE=1" : "");
	}
	fflush(stdout);
}

static void uevents(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			  NETLINK_KOBJECT_UEVENT);
	char name[64];
	int n, dev, file;

	if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("uevent socket");
	make_file("img", 1 << 20);
	n = get_free();
	snprintf(name, sizeof(name), "%s%d", prefix, n);
	dev = open_dev(n, O_RDWR);
	file = open_file("img", O_RDWR);
	drain_uevents(sock, name, 300);
	printf("step: configure\n");
	show("configure", configure(dev, file, 0, 0, 0, 0));
	drain_uevents(sock, name, 500);
	printf("step: set_capacity unchanged\n");
	show("set_capacity", ioctl(dev, LOOP_SET_CAPACITY, 0));
	drain_uevents(sock, name, 500);
	printf("step: set_capacity grown\n");
	if (truncate(path_in_dir("img"), 2 << 20) < 0)
		die("truncate");
	show("set_capacity", ioctl(dev, LOOP_SET_CAPACITY, 0));
	drain_uevents(sock, name, 500);
	printf("step: detach\n");
	show("clr_fd", ioctl(dev, LOOP_CLR_FD, 0));
	close(dev);
	drain_uevents(sock, name, 500);
	close(file);
	close(sock);
}

/*
 * PROCS processes each bind, do I/O, and detach CYCLES/PROCS times; a reader
 * per process keeps reading the device while it is detached under it.
 */
static void stress(int cycles, int procs)
{
	int i;

	make_file("img", 1 << 20);
	for (i = 0; i < procs; i++) {
		if (fork() == 0) {
			char name[32], buf[4096];
			int c, file, fails = 0;

			snprintf(name, sizeof(name), "img%d", i);
			make_file(name, 1 << 20);
			file = open_file(name, O_RDWR);
			for (c = 0; c < cycles / procs; c++) {
				int n, dev, busy = 0;
				pid_t reader;

				do {
					n = get_free();
					dev = open(devpath(n), O_RDWR);
					if (dev < 0)
						continue;
					if (configure(dev, file, 0, 0, 0, 0) == 0)
						break;
					if (errno != EBUSY)
						die("configure");
					close(dev);
					dev = -1;
				} while (++busy < 1000);
				if (dev < 0)
					die("no free device");
				fill(buf, sizeof(buf), c);
				if (pwrite(dev, buf, sizeof(buf), (c % 64) * 4096) != sizeof(buf))
					fails++;
				reader = fork();
				if (reader == 0) {
					int r = open(devpath(n), O_RDONLY);
					int k;

					for (k = 0; r >= 0 && k < 50; k++)
						if (pread(r, buf, sizeof(buf), k * 4096) < 0)
							break;
					_exit(0);
				}
				if (ioctl(dev, LOOP_CLR_FD, 0) < 0)
					die("clr_fd");
				close(dev);
				waitpid(reader, NULL, 0);
			}
			printf("worker %d: %d cycles, %d failed writes\n", i,
			       cycles / procs, fails);
			exit(fails ? 1 : 0);
		}
	}
	for (i = 0; i < procs; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			die("stress worker failed");
	}
	printf("stress: done\n");
}

/* A leak-check step must do what it is meant to: stop the run otherwise. */
static void expect_rc(const char *step, long rc, int want_errno)
{
	if (want_errno ? rc < 0 && errno == want_errno : rc >= 0)
		return;
	fprintf(stderr, "xloop_probe: %s: expected %s, got %s\n", step,
		want_errno ? strerrorname_np(want_errno) : "success",
		rc < 0 ? strerrorname_np(errno) : "success");
	exit(1);
}

/* The descriptors one round of the leak check works with. */
struct cycle_fds {
	int ctl, file, ro, big, disk, dir, pipe[2];
};

/* Every ioctl error path, unbound and bound, ending detached. */
static void cycle_errors(int n, const struct cycle_fds *f)
{
	int dev = open_dev(n, O_RDWR);
	struct loop_info64 info;

	expect_rc("unbound get_status64", ioctl(dev, LOOP_GET_STATUS64, &info), ENXIO);
	expect_rc("unbound clr_fd", ioctl(dev, LOOP_CLR_FD, 0), ENXIO);
	expect_rc("set_fd pipe", ioctl(dev, LOOP_SET_FD, f->pipe[0]), EINVAL);
	expect_rc("set_fd directory", ioctl(dev, LOOP_SET_FD, f->dir), EINVAL);
	expect_rc("set_fd self", ioctl(dev, LOOP_SET_FD, dev), EBADF);
	expect_rc("configure bad flags", configure(dev, f->file, 0x80, 0, 0, 0), EINVAL);
	expect_rc("configure block 1000", configure(dev, f->file, 0, 1000, 0, 0), EINVAL);
	expect_rc("configure offset overflow",
		  configure(dev, f->file, 0, 0, (uint64_t)1 << 63, 0), EOVERFLOW);
	expect_rc("configure", configure(dev, f->file, 0, 0, 512, 0), 0);
	expect_rc("configure again", configure(dev, f->file, 0, 0, 0, 0), EBUSY);
	expect_rc("change_fd on rw", ioctl(dev, LOOP_CHANGE_FD, f->ro), EINVAL);
	expect_rc("set_status64 overflow",
		  set_status64(dev, 0, (uint64_t)1 << 63, 0), EOVERFLOW);
	expect_rc("ctl remove bound", ioctl(f->ctl, LOOP_CTL_REMOVE, n), EBUSY);
	expect_rc("clr_fd", ioctl(dev, LOOP_CLR_FD, 0), 0);
	close(dev);
}

/* A plain bind with I/O and every setter, then the detach. */
static void cycle_bind(int n, const struct cycle_fds *f)
{
	int dev = open_dev(n, O_RDWR);
	struct loop_info64 info;
	char buf[4096];

	expect_rc("configure", configure(dev, f->file, 0, 0, 512, 0), 0);
	expect_rc("read", pread(dev, buf, sizeof(buf), 0), 0);
	expect_rc("write", pwrite(dev, buf, sizeof(buf), 4096), 0);
	expect_rc("fsync", fsync(dev), 0);
	expect_rc("set_status64", set_status64(dev, 0, 0, 0), 0);
	expect_rc("set_block_size", ioctl(dev, LOOP_SET_BLOCK_SIZE, 4096), 0);
	expect_rc("set_capacity", ioctl(dev, LOOP_SET_CAPACITY, 0), 0);
	expect_rc("set_direct_io", ioctl(dev, LOOP_SET_DIRECT_IO, 0), 0);
	expect_rc("get_status64", ioctl(dev, LOOP_GET_STATUS64, &info), 0);
	expect_rc("clr_fd", ioctl(dev, LOOP_CLR_FD, 0), 0);
	close(dev);
}

/* Read-only, with LOOP_CHANGE_FD refused and done. */
static void cycle_change_fd(int n, const struct cycle_fds *f)
{
	int dev = open_dev(n, O_RDWR);
	char buf[4096];

	expect_rc("ro set_fd", ioctl(dev, LOOP_SET_FD, f->ro), 0);
	expect_rc("ro change_fd other size", ioctl(dev, LOOP_CHANGE_FD, f->big), EINVAL);
	expect_rc("ro change_fd", ioctl(dev, LOOP_CHANGE_FD, f->file), 0);
	expect_rc("ro read", pread(dev, buf, sizeof(buf), 0), 0);
	expect_rc("ro clr_fd", ioctl(dev, LOOP_CLR_FD, 0), 0);
	close(dev);
}

/* Partitions found at the bind and by BLKRRPART, dropped at the detach. */
static void cycle_partitions(int n, const struct cycle_fds *f)
{
	int dev = open_dev(n, O_RDWR);

	expect_rc("partscan configure", configure(dev, f->disk, LO_FLAGS_PARTSCAN, 0, 0, 0), 0);
	expect_rc("blkrrpart", ioctl(dev, BLKRRPART, 0), 0);
	expect_rc("partscan clr_fd", ioctl(dev, LOOP_CLR_FD, 0), 0);
	close(dev);
}

/* Direct I/O (where the file allows it) and the detach at last close. */
static void cycle_autoclear(int n, const struct cycle_fds *f)
{
	int dev = open_dev(n, O_RDWR);
	char buf[4096];

	expect_rc("dio autoclear configure",
		  configure(dev, f->file, LO_FLAGS_DIRECT_IO | LO_FLAGS_AUTOCLEAR,
			    0, 0, 0), 0);
	expect_rc("dio read", pread(dev, buf, sizeof(buf), 4096), 0);
	close(dev);
}

/* XLOOP_CTL_ATTACH of @file on device @n: the handle, or -1 with errno. */
static int handle_attach(const struct cycle_fds *f, int n, int file, __u32 lo_flags,
			 __u32 flags)
{
	struct xloop_attach a;

	memset(&a, 0, sizeof(a));
	a.config.fd = file;
	a.config.info.lo_flags = lo_flags;
	a.index = n;
	a.flags = flags;
	if (ioctl(f->ctl, XLOOP_CTL_ATTACH, &a) < 0)
		return -1;
	if ((int)a.number != n) {
		fprintf(stderr, "xloop_probe: handle attach: device %u, not %d\n", a.number, n);
		exit(1);
	}
	return a.handle_fd;
}

static void expect_bound(const char *step, int n, int want)
{
	char path[128];
	int i;

	snprintf(path, sizeof(path), "/sys/block/%s%d/loop/backing_file", prefix, n);
	/* A handle in flight on a socket goes when the socket does: soon. */
	for (i = 0; i < 100 && (access(path, F_OK) == 0) != want; i++)
		usleep(10000);
	if ((access(path, F_OK) == 0) == want)
		return;
	fprintf(stderr, "xloop_probe: %s: device %s\n", step, want ? "not bound" : "still bound");
	exit(1);
}

/*
 * Attachments owned by handles (XLOOP_CTL_ATTACH): the error paths, a
 * handle closed with the device closed and open, one whose device someone
 * detached, and one left in flight on a unix socket that is closed unread.
 */
static void cycle_handles(int n, const struct cycle_fds *f)
{
	struct pollfd p = { .events = POLLIN };
	int h, h2, dev, sv[2];
	char buf[4096];

	expect_rc("handle bad flags", handle_attach(f, n, f->file, 0, 0x80), EINVAL);
	expect_rc("handle autoclear", handle_attach(f, n, f->file, LO_FLAGS_AUTOCLEAR, 0),
		  EINVAL);
	expect_rc("handle pipe", handle_attach(f, n, f->pipe[0], 0, 0), EINVAL);
	h = handle_attach(f, n, f->file, 0, XLOOP_ATTACH_CLOEXEC);
	expect_rc("handle attach", h, 0);
	expect_rc("handle attach bound", handle_attach(f, n, f->file, 0, 0), EBUSY);
	dev = open_dev(n, O_RDWR);
	expect_rc("handle device read", pread(dev, buf, sizeof(buf), 0), 0);
	expect_rc("handle change_fd", ioctl(dev, LOOP_CHANGE_FD, f->ro), EBUSY);
	close(h);
	expect_bound("handle closed, device open", n, 1);
	close(dev);
	expect_bound("device closed after its handle", n, 0);

	h = handle_attach(f, n, f->ro, LO_FLAGS_READ_ONLY, 0);
	expect_rc("handle attach read-only", h, 0);
	close(h);
	expect_bound("handle closed, device unopened", n, 0);

	h = handle_attach(f, n, f->file, LO_FLAGS_PARTSCAN, 0);
	expect_rc("handle attach partscan", h, 0);
	dev = open_dev(n, O_RDONLY);
	expect_rc("clr_fd of a handle's device", ioctl(dev, LOOP_CLR_FD, 0), 0);
	close(dev);
	p.fd = h;
	expect_rc("poll", poll(&p, 1, 5000), 0);
	if (!(p.revents & POLLHUP)) {
		fprintf(stderr, "xloop_probe: no EPOLLHUP after the detach\n");
		exit(1);
	}
	close(h);

	h = handle_attach(f, n, f->file, 0, 0);
	expect_rc("handle attach for a socket", h, 0);
	h2 = dup(h);
	expect_rc("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	expect_rc("send the handle", send_fd(sv[0], h2), 0);
	close(h2);
	close(h);
	expect_bound("handle in flight", n, 1);
	close(sv[0]);
	close(sv[1]);
	expect_bound("socket with the handle closed unread", n, 0);
}

/* Devices created, bound, detached and removed (four: a leak shows more). */
static void cycle_add_remove(const struct cycle_fds *f)
{
	char buf[4096];
	int i, m, dev;

	for (i = 0; i < 4; i++) {
		m = ioctl(f->ctl, LOOP_CTL_ADD, -1);
		expect_rc("ctl add", m, 0);
		dev = open_dev(m, O_RDWR);
		expect_rc("new device configure", configure(dev, f->file, 0, 0, 0, 0), 0);
		expect_rc("new device read", pread(dev, buf, sizeof(buf), 0), 0);
		expect_rc("new device clr_fd", ioctl(dev, LOOP_CLR_FD, 0), 0);
		close(dev);
		expect_rc("ctl remove", ioctl(f->ctl, LOOP_CTL_REMOVE, m), 0);
	}
}

/*
 * One round of the leak check on device @n: the steps named in @steps
 * (e errors, b bind, c change_fd, p partitions, d direct I/O and autoclear,
 * a add and remove a device, h handles: xloop only).
 */
static void cycle_once(int n, const char *steps)
{
	struct cycle_fds f;

	f.ctl = open(control, O_RDWR);
	f.file = open_file("img", O_RDWR);
	f.ro = open_file("img3", O_RDONLY);
	f.big = open_file("img2", O_RDONLY);
	f.disk = open_file("disk", O_RDWR);
	f.dir = open(dir, O_RDONLY | O_DIRECTORY);
	if (f.ctl < 0 || f.dir < 0 || pipe(f.pipe) < 0)
		die("cycle setup");
	if (strchr(steps, 'e'))
		cycle_errors(n, &f);
	if (strchr(steps, 'b'))
		cycle_bind(n, &f);
	if (strchr(steps, 'c'))
		cycle_change_fd(n, &f);
	if (strchr(steps, 'p'))
		cycle_partitions(n, &f);
	if (strchr(steps, 'd'))
		cycle_autoclear(n, &f);
	if (strchr(steps, 'a'))
		cycle_add_remove(&f);
	if (strchr(steps, 'h'))
		cycle_handles(n, &f);
	close(f.pipe[0]);
	close(f.pipe[1]);
	close(f.dir);
	close(f.disk);
	close(f.big);
	close(f.ro);
	close(f.file);
	close(f.ctl);
}

static void cycles(int count, const char *steps)
{
	int i, n;

	make_file("img", 1 << 20);
	make_file("img2", 2 << 20);
	make_file("img3", 1 << 20);
	make_file("disk", 4 << 20);
	write_mbr("disk");
	n = get_free();
	for (i = 0; i < count; i++)
		cycle_once(n, steps);
	printf("cycles: %d rounds of %s done\n", count, steps);
}

static int attach(const char *file, char **opts)
{
	uint32_t flags = 0;
	int ro = 0, append = 0, oflags = 0, fd, dev, n;
	const char *on = NULL;

	for (; *opts; opts++) {
		if (!strcmp(*opts, "ro")) {
			ro = 1;
			flags |= LO_FLAGS_READ_ONLY;
		} else if (!strcmp(*opts, "partscan")) {
			flags |= LO_FLAGS_PARTSCAN;
		} else if (!strcmp(*opts, "dio")) {
			flags |= LO_FLAGS_DIRECT_IO;
		} else if (!strcmp(*opts, "autoclear")) {
			flags |= LO_FLAGS_AUTOCLEAR;
		} else if (!strcmp(*opts, "append")) {
			append = O_APPEND;
		} else if (!strcmp(*opts, "sync")) {
			oflags |= O_SYNC;
		} else if (!strcmp(*opts, "odirect")) {
			oflags |= O_DIRECT;
		} else if (!strncmp(*opts, "on=", 3)) {
			on = *opts + 3;
		} else {
			fprintf(stderr, "xloop_probe: unknown option %s\n", *opts);
			return 2;
		}
	}
	fd = open(file, (ro ? O_RDONLY : O_RDWR) | append | oflags);
	if (fd < 0)
		die(file);
	if (on) {
		/* A chosen device: no retry, it must be free. */
		dev = open(on, O_RDWR);
		if (dev < 0)
			die(on);
		if (configure(dev, fd, flags, 0, 0, 0) < 0)
			die("LOOP_CONFIGURE");
		printf("%s\n", on);
		return 0;
	}
	for (;;) {
		n = get_free();
		dev = open_dev(n, O_RDWR);
		if (configure(dev, fd, flags, 0, 0, 0) == 0)
			break;
		if (errno != EBUSY)
			die("LOOP_CONFIGURE");
		close(dev);
	}
	printf("%s\n", devpath(n));
	return 0;
}

/*
 * LOOP_SET_FD of FILE on DEVICE; a bind that succeeds is undone at once, with
 * no I/O on the device (a recursive bind would hang the first reader).
 */
static int setfd(const char *device, const char *file, int rw)
{
	int dev = open(device, rw ? O_RDWR : O_RDONLY);
	int fd = open(file, rw ? O_RDWR : O_RDONLY);
	int rc;

	if (dev < 0 || fd < 0)
		die("open");
	rc = ioctl(dev, LOOP_SET_FD, fd);
	show("set_fd", rc);
	if (rc == 0 && ioctl(dev, LOOP_CLR_FD, 0) < 0)
		die("LOOP_CLR_FD");
	return 0;
}

static int ctl_op(const char *control_dev, const char *op, int n)
{
	int fd = open(control_dev, O_RDWR);

	if (fd < 0)
		die(control_dev);
	if (!strcmp(op, "add"))
		show("ctl add", ioctl(fd, LOOP_CTL_ADD, n));
	else if (!strcmp(op, "remove"))
		show("ctl remove", ioctl(fd, LOOP_CTL_REMOVE, n));
	else
		return 2;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "detach")) {
		int fd = open(argv[2], O_RDONLY);

		if (fd < 0)
			die(argv[2]);
		if (ioctl(fd, LOOP_CLR_FD, 0) < 0)
			die("LOOP_CLR_FD");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "mbr")) {
		/* One Linux partition at 1 MiB, 2 MiB long. */
		dir = ".";
		write_mbr(argv[2]);
		return 0;
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "setfd"))
		return setfd(argv[2], argv[3], argc == 5 && !strcmp(argv[4], "rw"));
	if (argc == 5 && !strcmp(argv[1], "ctl"))
		return ctl_op(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "changefd")) {
		int fd = open(argv[2], O_RDONLY);
		int file = strncmp(argv[3], "fd:", 3) ? open(argv[3], O_RDONLY) :
							  atoi(argv[3] + 3);

		if (fd < 0 || file < 0)
			die("open");
		show("change_fd", ioctl(fd, LOOP_CHANGE_FD, file));
		return 0;
	}
	if (argc < 5) {
		fprintf(stderr, "usage: xloop_probe abi|uevents|stress|attach CONTROL PREFIX DIR|FILE ...\n");
		return 2;
	}
	control = argv[2];
	prefix = argv[3];
	dir = argv[4];
	if (!strcmp(argv[1], "abi"))
		abi();
	else if (!strcmp(argv[1], "uevents"))
		uevents();
	else if (!strcmp(argv[1], "stress") && argc == 7)
		stress(atoi(argv[5]), atoi(argv[6]));
	else if (!strcmp(argv[1], "cycles") && (argc == 6 || argc == 7))
		cycles(atoi(argv[5]), argc == 7 ? argv[6] : "ebcpda");
	else if (!strcmp(argv[1], "attach"))
		return attach(argv[4], argv + 5);
	else
		return 2;
	return 0;
}
