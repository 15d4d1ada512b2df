/* machine.h: what the machine was like while the benchmark ran, printed
 * beside its figures: the cost of a page fault (a virtual machine's page
 * tables can make it several times dearer, and with it everything that
 * maps pages: the full rerun faults the store's pages in) and the CPU
 * time the hypervisor took away (steal). */
#ifndef SV_BENCH_MACHINE_H
#define SV_BENCH_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

/* Microseconds per 4 KiB page of the first touch of 256 MiB of fresh
 * anonymous memory (no huge pages); negative when it cannot be
 * measured. */
double machine_fault_us(void);

/* The machine's CPU time so far, from /proc/stat (USER_HZ ticks). */
typedef struct {
    uint64_t busy;  /* user, nice, system, irq, softirq */
    uint64_t idle;  /* idle, iowait */
    uint64_t steal; /* taken by the hypervisor */
} machine_cpu;

/* false when /proc/stat cannot be read. */
bool machine_cpu_read(machine_cpu *out);

/* Steal time between a and b, in percent of all CPU time; negative when
 * none passed. */
double machine_steal_pct(const machine_cpu *a, const machine_cpu *b);

#endif
