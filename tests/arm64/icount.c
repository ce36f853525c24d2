/* Guest instructions per region, for the arm64 lane's instruction budgets.
 *
 * A QEMU TCG plugin (QEMU 7.2's plugin API, version 1; no glib).  Every
 * translated block adds its instruction count to a counter as it executes.
 * The guest brackets regions with a marker system call that no kernel has
 * (MARK, below): syscall(MARK, region, 1) starts region `region`, syscall(MARK,
 * region, 0) ends it and adds the instructions executed in between.  QEMU
 * answers the call with ENOSYS; the plugin sees it first.  At exit it prints one
 * line per region, "icount region=R count=N insns=I", through qemu_plugin_outs
 * (visible with `-d plugin`).  Counting is exact for one guest thread; the
 * lane runs the model with num_threads=1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK 0x4b51 /* "KQ" */
#define REGIONS 16

static uint64_t insns;
static uint64_t started[REGIONS], total[REGIONS], count[REGIONS];

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns,
                                             qemu_plugin_tb_n_insns(tb));
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1,
                       uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
                       uint64_t a7, uint64_t a8)
{
    if (num != MARK || a1 >= REGIONS)
        return;
    if (a2) {
        started[a1] = insns;
    } else {
        total[a1] += insns - started[a1];
        count[a1]++;
    }
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
    char line[128];
    for (int r = 0; r < REGIONS; r++) {
        if (!count[r])
            continue;
        snprintf(line, sizeof line, "icount region=%d count=%" PRIu64 " insns=%" PRIu64 "\n", r, count[r],
                 total[r]);
        qemu_plugin_outs(line);
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
