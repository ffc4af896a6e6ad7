// SPDX-License-Identifier: GPL-2.0
/*
 * xloop: the per-disk loop/ attribute group, with loop.ko's names and
 * formats.  It exists only while a backing file is bound: udev and util-linux
 * test for loop/backing_file to tell a bound device from a free one.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include <uapi/linux/xloop.h>

#include "xloop.h"

static struct xloop_device *dev_to_xloop(struct device *dev)
{
	return xloop_from_disk(dev_to_disk(dev));
}

static ssize_t backing_file_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct xloop_device *lo = dev_to_xloop(dev);
	char *p = NULL;
	ssize_t len;

	spin_lock_irq(&lo->lock);
	if (lo->backing)
		p = file_path(lo->backing, buf, PAGE_SIZE - 1);
	spin_unlock_irq(&lo->lock);
	if (!p)
		return 0;
	if (IS_ERR(p))
		return PTR_ERR(p);
	/* file_path() writes at the end of the buffer; move it to the front. */
	len = strlen(p);
	memmove(buf, p, len);
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}

static ssize_t offset_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)dev_to_xloop(dev)->offset);
}

static ssize_t sizelimit_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)dev_to_xloop(dev)->sizelimit);
}

static ssize_t xloop_flag_show(struct device *dev, char *buf, int flag)
{
	return sysfs_emit(buf, "%d\n", !!(dev_to_xloop(dev)->flags & flag));
}

static ssize_t autoclear_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return xloop_flag_show(dev, buf, LO_FLAGS_AUTOCLEAR);
}

static ssize_t partscan_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return xloop_flag_show(dev, buf, LO_FLAGS_PARTSCAN);
}

static ssize_t dio_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return xloop_flag_show(dev, buf, LO_FLAGS_DIRECT_IO);
}

static DEVICE_ATTR_RO(backing_file);
static DEVICE_ATTR_RO(offset);
static DEVICE_ATTR_RO(sizelimit);
static DEVICE_ATTR_RO(autoclear);
static DEVICE_ATTR_RO(partscan);
static DEVICE_ATTR_RO(dio);

static struct attribute *xloop_attrs[] = {
	&dev_attr_backing_file.attr,
	&dev_attr_offset.attr,
	&dev_attr_sizelimit.attr,
	&dev_attr_autoclear.attr,
	&dev_attr_partscan.attr,
	&dev_attr_dio.attr,
	NULL,
};

static const struct attribute_group xloop_attr_group = {
	.name = XLOOP_SYSFS_GROUP,
	.attrs = xloop_attrs,
};

void xloop_sysfs_add(struct xloop_device *lo)
{
	lo->sysfs_group = !sysfs_create_group(&disk_to_dev(lo->disk)->kobj,
					      &xloop_attr_group);
}

void xloop_sysfs_remove(struct xloop_device *lo)
{
	if (lo->sysfs_group)
		sysfs_remove_group(&disk_to_dev(lo->disk)->kobj,
				   &xloop_attr_group);
	lo->sysfs_group = false;
}
