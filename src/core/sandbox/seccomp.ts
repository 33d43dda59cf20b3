/**
 * The containers' own syscall filter, so what the sandbox may ask of the host kernel does not depend
 * on the engine's version (Docker 20.10's default allows io_uring; newer defaults and gVisor refuse
 * it, a frequent source of kernel escapes). It is Moby's default profile as Docker 20.10 ships it
 * (profiles/seccomp/default.json, Apache-2.0), resolved for containers that keep no capability
 * (CapDrop ALL: the capability-gated rules fall away), minus what a data sandbox never needs:
 * io_uring (io_uring_setup, io_uring_enter, io_uring_register) and ptrace. Anything not listed
 * fails with EPERM. Passed on every container on a Docker engine (containerSpec; Podman: below).
 */

/** Allowed on every architecture. */
const ALLOWED = [
  'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk', 'capget', 'capset', 'chdir',
  'chmod', 'chown', 'chown32', 'clock_adjtime', 'clock_adjtime64', 'clock_getres', 'clock_getres_time64',
  'clock_gettime', 'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64', 'close',
  'close_range', 'connect', 'copy_file_range', 'creat', 'dup', 'dup2', 'dup3', 'epoll_create',
  'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait',
  'epoll_wait_old', 'eventfd', 'eventfd2', 'execve', 'execveat', 'exit', 'exit_group', 'faccessat',
  'faccessat2', 'fadvise64', 'fadvise64_64', 'fallocate', 'fanotify_mark', 'fchdir', 'fchmod',
  'fchmodat', 'fchown', 'fchown32', 'fchownat', 'fcntl', 'fcntl64', 'fdatasync', 'fgetxattr',
  'flistxattr', 'flock', 'fork', 'fremovexattr', 'fsetxattr', 'fstat', 'fstat64', 'fstatat64', 'fstatfs',
  'fstatfs64', 'fsync', 'ftruncate', 'ftruncate64', 'futex', 'futex_time64', 'futex_waitv', 'futimesat',
  'getcpu', 'getcwd', 'getdents', 'getdents64', 'getegid', 'getegid32', 'geteuid', 'geteuid32', 'getgid',
  'getgid32', 'getgroups', 'getgroups32', 'getitimer', 'getpeername', 'getpgid', 'getpgrp', 'getpid',
  'getppid', 'getpriority', 'getrandom', 'getresgid', 'getresgid32', 'getresuid', 'getresuid32',
  'getrlimit', 'get_robust_list', 'getrusage', 'getsid', 'getsockname', 'getsockopt', 'get_thread_area',
  'gettid', 'gettimeofday', 'getuid', 'getuid32', 'getxattr', 'inotify_add_watch', 'inotify_init',
  'inotify_init1', 'inotify_rm_watch', 'io_cancel', 'ioctl', 'io_destroy', 'io_getevents',
  'io_pgetevents', 'io_pgetevents_time64', 'ioprio_get', 'ioprio_set', 'io_setup', 'io_submit', 'ipc',
  'kill', 'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'lchown', 'lchown32',
  'lgetxattr', 'link', 'linkat', 'listen', 'listxattr', 'llistxattr', '_llseek', 'lremovexattr', 'lseek',
  'lsetxattr', 'lstat', 'lstat64', 'madvise', 'membarrier', 'memfd_create', 'memfd_secret', 'mincore',
  'mkdir', 'mkdirat', 'mknod', 'mknodat', 'mlock', 'mlock2', 'mlockall', 'mmap', 'mmap2', 'mprotect',
  'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64', 'mq_timedsend',
  'mq_timedsend_time64', 'mq_unlink', 'mremap', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'msync',
  'munlock', 'munlockall', 'munmap', 'nanosleep', 'newfstatat', '_newselect', 'open', 'openat',
  'openat2', 'pause', 'pidfd_open', 'pidfd_send_signal', 'pipe', 'pipe2', 'poll', 'ppoll',
  'ppoll_time64', 'prctl', 'pread64', 'preadv', 'preadv2', 'prlimit64', 'process_mrelease', 'pselect6',
  'pselect6_time64', 'pwrite64', 'pwritev', 'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat',
  'readv', 'recv', 'recvfrom', 'recvmmsg', 'recvmmsg_time64', 'recvmsg', 'remap_file_pages',
  'removexattr', 'rename', 'renameat', 'renameat2', 'restart_syscall', 'rmdir', 'rseq', 'rt_sigaction',
  'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
  'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sched_getaffinity', 'sched_getattr',
  'sched_getparam', 'sched_get_priority_max', 'sched_get_priority_min', 'sched_getscheduler',
  'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_setaffinity', 'sched_setattr',
  'sched_setparam', 'sched_setscheduler', 'sched_yield', 'seccomp', 'select', 'semctl', 'semget',
  'semop', 'semtimedop', 'semtimedop_time64', 'send', 'sendfile', 'sendfile64', 'sendmmsg', 'sendmsg',
  'sendto', 'setfsgid', 'setfsgid32', 'setfsuid', 'setfsuid32', 'setgid', 'setgid32', 'setgroups',
  'setgroups32', 'setitimer', 'setpgid', 'setpriority', 'setregid', 'setregid32', 'setresgid',
  'setresgid32', 'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setrlimit', 'set_robust_list',
  'setsid', 'setsockopt', 'set_thread_area', 'set_tid_address', 'setuid', 'setuid32', 'setxattr',
  'shmat', 'shmctl', 'shmdt', 'shmget', 'shutdown', 'sigaltstack', 'signalfd', 'signalfd4',
  'sigprocmask', 'sigreturn', 'socket', 'socketcall', 'socketpair', 'splice', 'stat', 'stat64', 'statfs',
  'statfs64', 'statx', 'symlink', 'symlinkat', 'sync', 'sync_file_range', 'syncfs', 'sysinfo', 'tee',
  'tgkill', 'time', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime',
  'timer_gettime64', 'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime',
  'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64', 'times', 'tkill', 'truncate',
  'truncate64', 'ugetrlimit', 'umask', 'uname', 'unlink', 'unlinkat', 'utime', 'utimensat',
  'utimensat_time64', 'utimes', 'vfork', 'vmsplice', 'wait4', 'waitid', 'waitpid', 'write', 'writev',
];

interface Rule {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: { index: number; value: number; op: string }[];
  includes?: { arches?: string[] };
  excludes?: { arches?: string[] };
}

const only = (arches: string[], names: string[]): Rule => ({ names, action: 'SCMP_ACT_ALLOW', includes: { arches } });
const personality = (value: number): Rule => ({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] });
const S390 = ['s390', 's390x'];
const MIPS = ['mips3l64n32', 'mips64', 'mips64n32', 'mipsel', 'mipsel64'];
/** clone without a namespace flag (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET). */
const CLONE_NAMESPACE_FLAGS = 2114060288;

const RULES: Rule[] = [
  { names: ALLOWED, action: 'SCMP_ACT_ALLOW' },
  personality(0),
  personality(8),
  personality(131072),
  personality(131080),
  personality(4294967295),
  only(['ppc64le'], ['sync_file_range2']),
  only(['arm', 'arm64'], ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls']),
  only(['amd64', 'x32'], ['arch_prctl']),
  only(['amd64', 'x32', 'x86'], ['modify_ldt']),
  only(S390, ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr']),
  { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { arches: S390 } },
  { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }], includes: { arches: S390 } },
  // glibc falls back to clone when clone3 says ENOSYS (its flags are behind a pointer, out of reach).
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { arches: MIPS } },
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 89, includes: { arches: MIPS } },
];

export const SECCOMP_PROFILE = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  archMap: [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}, {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}, {"architecture": "SCMP_ARCH_MIPS64", "subArchitectures": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"]}, {"architecture": "SCMP_ARCH_MIPS64N32", "subArchitectures": ["SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"]}, {"architecture": "SCMP_ARCH_MIPSEL64", "subArchitectures": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"]}, {"architecture": "SCMP_ARCH_MIPSEL64N32", "subArchitectures": ["SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"]}, {"architecture": "SCMP_ARCH_S390X", "subArchitectures": ["SCMP_ARCH_S390"]}],
  syscalls: RULES,
};

/**
 * The engine's security option that applies it: the profile's JSON inline, as the Docker CLI sends
 * it. Podman's Docker-compatible API takes `seccomp=` as a path on the engine's machine instead, so
 * under Podman its own default profile (containers-common's) applies.
 */
export function seccompSecurityOpt(engine: { podman?: boolean } = {}): string[] {
  return engine.podman ? [] : [`seccomp=${JSON.stringify(SECCOMP_PROFILE)}`];
}
