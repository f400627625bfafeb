// SPDX-License-Identifier: GPL-2.0
/*
 * hotpath: the cost of the paths that pseudo-NMI taxes, on a healthy system
 * (make bench-nmi, scripts/bench_nmi.py). Built with the kernel's nolibc.
 *
 *   hotpath insns N ROUNDS   instructions per gettid() and per
 *                            local_irq_save()/local_irq_restore() pair,
 *                            counted by the PMU (user and kernel), each the
 *                            smallest of ROUNDS loops of N, less the same
 *                            loop without the operation
 *   hotpath time N ROUNDS    nanoseconds per gettid() and per pair
 *                            (CLOCK_MONOTONIC), each the median of ROUNDS
 *
 * The pairs run in the kernel, in sdei_bench.ko: writing N to
 * /sys/kernel/debug/sdei_bench/irq_pairs runs N pairs, and to .../empty_loop
 * the same loop without them. Prints one "bench: NAME VALUE" line per
 * figure, and exits non-zero when one cannot be had.
 */
#include <linux/perf_event.h>

#define DEBUGFS "/sys/kernel/debug/sdei_bench/"

static int counter = -1;

static long perf_open(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_INSTRUCTIONS,
		.disabled = 1,
		.exclude_hv = 1,
	};

	/* This task on any CPU, user and kernel. */
	return syscall(__NR_perf_event_open, &attr, 0, -1, -1, 0);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void gettid_loop(unsigned long n)
{
	while (n--)
		syscall(__NR_gettid);
}

static void empty_loop(unsigned long n)
{
	while (n--)
		__asm__ volatile("" ::: "memory");
}

static int in_kernel(const char *file, unsigned long n)
{
	char buf[24];
	int fd, len, ret;

	fd = open(file, O_WRONLY);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%lu\n", n);
	ret = write(fd, buf, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

static void pairs_loop(unsigned long n)
{
	in_kernel(DEBUGFS "irq_pairs", n);
}

static void kernel_empty_loop(unsigned long n)
{
	in_kernel(DEBUGFS "empty_loop", n);
}

/* The instructions (or, without a counter, nanoseconds) of one run of fn(n). */
static unsigned long long measure(void (*fn)(unsigned long), unsigned long n)
{
	unsigned long long count = 0, t0;

	if (counter < 0) {
		t0 = now_ns();
		fn(n);
		return now_ns() - t0;
	}
	ioctl(counter, PERF_EVENT_IOC_RESET, 0);
	ioctl(counter, PERF_EVENT_IOC_ENABLE, 0);
	fn(n);
	ioctl(counter, PERF_EVENT_IOC_DISABLE, 0);
	if (read(counter, &count, sizeof(count)) != sizeof(count))
		return 0;
	return count;
}

static void sort(unsigned long long *v, int n)
{
	int i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned long long t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/*
 * Per operation, in hundredths: the smallest (insns) or median (time) of
 * rounds runs of op, less that of base.
 */
static long long per_op(void (*op)(unsigned long), void (*base)(unsigned long),
			unsigned long n, int rounds)
{
	unsigned long long o[64], b[64];
	int i, pick;

	if (rounds > 64)
		rounds = 64;
	for (i = 0; i < rounds; i++) {
		o[i] = measure(op, n);
		b[i] = measure(base, n);
	}
	sort(o, rounds);
	sort(b, rounds);
	pick = counter < 0 ? rounds / 2 : 0;
	return ((long long)o[pick] - (long long)b[pick]) * 100 / (long long)n;
}

static void print(const char *name, long long v)
{
	printf("bench: %s %lld.%02lld\n", name, v / 100, (v < 0 ? -v : v) % 100);
}

int main(int argc, char **argv)
{
	unsigned long n;
	int rounds, insns;
	long long gettid, pair;

	if (argc != 4) {
		fprintf(stderr, "usage: hotpath insns|time N ROUNDS\n");
		return 2;
	}
	insns = !strcmp(argv[1], "insns");
	n = strtoul(argv[2], NULL, 0);
	rounds = atoi(argv[3]);
	if (!n || rounds < 1)
		return 2;
	if (insns) {
		counter = perf_open();
		if (counter < 0) {
			fprintf(stderr, "hotpath: no instruction counter: %d\n", errno);
			return 1;
		}
	}
	if (in_kernel(DEBUGFS "empty_loop", 1)) {
		fprintf(stderr, "hotpath: no " DEBUGFS " (sdei_bench.ko)\n");
		return 1;
	}
	gettid = per_op(gettid_loop, empty_loop, n, rounds);
	pair = per_op(pairs_loop, kernel_empty_loop, n, rounds);
	print(insns ? "gettid_insns" : "gettid_ns", gettid);
	print(insns ? "irq_pair_insns" : "irq_pair_ns", pair);
	return 0;
}
