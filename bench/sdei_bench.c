// SPDX-License-Identifier: GPL-2.0
/*
 * sdei_bench: the kernel half of bench/hotpath.c, not part of the series.
 * Writing N to /sys/kernel/debug/sdei_bench/irq_pairs runs N
 * local_irq_save()/local_irq_restore() pairs, and to .../empty_loop the
 * same loop without them, so that their difference is the pairs' cost.
 */
#include <linux/debugfs.h>
#include <linux/irqflags.h>
#include <linux/module.h>

static struct dentry *dir;

static int irq_pairs_set(void *data, u64 n)
{
	unsigned long flags;

	while (n--) {
		local_irq_save(flags);
		barrier();
		local_irq_restore(flags);
	}
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(irq_pairs_fops, NULL, irq_pairs_set, "%llu\n");

static int empty_loop_set(void *data, u64 n)
{
	while (n--) {
		barrier();
		barrier();
	}
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(empty_loop_fops, NULL, empty_loop_set, "%llu\n");

static int __init sdei_bench_init(void)
{
	dir = debugfs_create_dir("sdei_bench", NULL);
	debugfs_create_file_unsafe("irq_pairs", 0200, dir, NULL, &irq_pairs_fops);
	debugfs_create_file_unsafe("empty_loop", 0200, dir, NULL, &empty_loop_fops);
	return 0;
}
module_init(sdei_bench_init);

static void __exit sdei_bench_exit(void)
{
	debugfs_remove(dir);
}
module_exit(sdei_bench_exit);

MODULE_DESCRIPTION("local_irq_save()/restore() loop for the SDEI vs pseudo-NMI benchmark");
MODULE_LICENSE("GPL");
