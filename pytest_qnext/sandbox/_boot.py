"""The sandbox's own start-up code: the zygote and the first steps of every sandbox.

Standard library only. The parent starts it once as a script (`python -I -S -B _boot.py
zygote CONFIG`) and also imports it for the frame format, so both sides share one definition.

**Zygote (Z).** A trusted, single-threaded process with a scrubbed environment that never runs
model code. It loads each benchmark runner once (its imports are then shared) and, per request
on its control socket (a JSON config plus three pipe fds), forks one fresh sandbox. Z exits
when the parent closes its stdin or the socket; every sandbox dies with it (PDEATHSIG).

**A sandbox** (`namespaces` mode)::

    P  boot   new session; unshare(mount, net, pid, ipc, uts [+ user when not root]);
    |         new root (a tmpfs with read-only binds) via pivot_root; reports P's and C's
    |         pids, waits for the parent's "go" (it has pidfds by then), waits for C, reports
    |         C's exit status, exits
    +- C      pid 1 of the new pid namespace: mounts a fresh /proc, forks H, reaps, exits
       |      with H's status; when C exits the kernel kills everything left in the namespace
       |      before C's exit completes, so once P has exited nothing of the sandbox runs
       +- H   rlimits; drops every privilege (root: a uid of its own; otherwise all
              capabilities); no_new_privs; fds 0/1 -> /dev/null; runs `runner.main(channel)`
              with the message pipes on fds 3/4

In `unsafe-local` mode P forks H directly: new session, rlimits, scrubbed environment, nothing
else (no namespaces: the program can read files and reach the network).

Failures before the runner starts are one `boot_error` frame; the parent raises SandboxError.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
from typing import Any

__all__ = ["HEADER", "Channel", "encode_frame", "main"]

#: Frame = 4-byte big-endian payload length + UTF-8 JSON payload (both directions).
HEADER = struct.Struct(">I")
_BOOT_FAILED = 121
_PROTO_IN = 3  # parent -> runner, in H
_PROTO_OUT = 4  # runner -> parent, in H
_MAX_REQUEST = 1 << 20

# CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET, and CLONE_NEWUSER
_NEW_NAMESPACES = 0x00020000 | 0x04000000 | 0x08000000 | 0x20000000 | 0x40000000
_CLONE_NEWUSER = 0x10000000

_MS_RDONLY = 0x1
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_NOEXEC = 0x8
_MS_REMOUNT = 0x20
_MS_BIND = 0x1000
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000
_MNT_DETACH = 0x2
# statvfs f_flag bit -> mount flag a remount must keep (flags locked in a user namespace)
_KEEP_FLAGS = (
    (os.ST_RDONLY, _MS_RDONLY),
    (os.ST_NOSUID, _MS_NOSUID),
    (os.ST_NODEV, _MS_NODEV),
    (os.ST_NOEXEC, _MS_NOEXEC),
    (os.ST_NOATIME, 0x400),  # MS_NOATIME
    (os.ST_NODIRATIME, 0x800),  # MS_NODIRATIME
    (os.ST_RELATIME, 0x200000),  # MS_RELATIME
)

_PR_SET_PDEATHSIG = 1
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CAP_VERSION_3 = 0x20080522
# pivot_root has no libc wrapper: its syscall number per machine
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}


class BootError(Exception):
    """A lock-down step failed; the message names the step and the errno."""


# --- frames ---------------------------------------------------------------------------------


def encode_frame(obj: Any) -> bytes:
    payload = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(len(payload)) + payload


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class Channel:
    """The runner's end of the message pipes (blocking; one JSON value per frame)."""

    def __init__(self, fd_in: int, fd_out: int) -> None:
        self._in = fd_in
        self._out = fd_out

    def recv(self) -> Any:
        """The next message, or None when the parent closed the pipe."""
        head = _read_exact(self._in, HEADER.size)
        if head is None:
            return None
        payload = _read_exact(self._in, HEADER.unpack(head)[0])
        return None if payload is None else json.loads(payload.decode("utf-8"))

    def send(self, obj: Any) -> None:
        write_all(self._out, encode_frame(obj))


def _report(fd: int, obj: Any) -> None:
    with contextlib.suppress(OSError):
        write_all(fd, encode_frame(obj))


# --- syscalls -------------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result < 0:
        code = ctypes.get_errno()
        raise BootError(f"{what}: {os.strerror(code)} ({errno.errorcode.get(code, code)})")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    result = _libc.mount(
        None if source is None else source.encode(),
        target.encode(),
        None if fstype is None else fstype.encode(),
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    _check(result, f"mount {source or fstype or 'remount'} on {target}")


def _prctl(option: int, arg: int, what: str) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({what})")


def _pivot_root(new_root: str, put_old: str) -> None:
    number = _SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise BootError(f"pivot_root: syscall number unknown on {os.uname().machine}")
    _check(_libc.syscall(number, new_root.encode(), put_old.encode()), "pivot_root")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inheritable")]


def _drop_bounding_set() -> None:
    """Empty the bounding and ambient sets: no exec can ever grant a capability again."""
    for cap in range(64):
        if _libc.prctl(_PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) < 0:
            if ctypes.get_errno() == errno.EINVAL:  # past the last capability
                break
            _check(-1, f"prctl(PR_CAPBSET_DROP {cap})")
    _libc.prctl(_PR_CAP_AMBIENT, ctypes.c_ulong(_PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)


def _drop_capabilities() -> None:
    """Empty every capability set of this process."""
    _drop_bounding_set()
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(_CapHeader(_CAP_VERSION_3, 0)), data), "capset")


# --- the new root ---------------------------------------------------------------------------


def _kept_flags(path: str) -> int:
    f_flag = os.statvfs(path).f_flag
    return sum(ms_bit for st_bit, ms_bit in _KEEP_FLAGS if f_flag & st_bit)


def _bind(source: str, target: str, *, read_only: bool) -> None:
    is_dir = os.path.isdir(source)
    os.makedirs(target if is_dir else os.path.dirname(target), mode=0o755, exist_ok=True)
    if not is_dir and not os.path.exists(target):
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))
    _mount(source, target, None, _MS_BIND | _MS_REC)
    flags = _MS_BIND | _MS_REMOUNT | _MS_NOSUID | _kept_flags(target)
    if read_only:  # devices stay writable (and keep dev semantics)
        flags |= _MS_RDONLY | _MS_NODEV
    _mount(None, target, None, flags)


def _build_root(config: dict[str, Any]) -> None:
    """P: mount a tmpfs root at config['mountpoint'] and fill it (C then enters it)."""
    root = config["mountpoint"]
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
    for source, target in config["binds"]:
        _bind(source, root + target, read_only=True)
    for source, target in config["devices"]:
        _bind(source, root + target, read_only=False)
    for link, target in config["symlinks"]:
        os.makedirs(os.path.dirname(root + link), mode=0o755, exist_ok=True)
        os.symlink(target, root + link)
    os.makedirs(root + "/tmp", mode=0o755, exist_ok=True)
    size = int(config["limits"]["tmp_bytes"])
    opts = f"size={size},nr_inodes=4096,mode=1777"
    _mount("tmpfs", root + "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, opts)
    os.makedirs(root + "/proc", mode=0o555, exist_ok=True)
    os.makedirs(root + "/.oldroot", mode=0o700, exist_ok=True)


def _enter_root(config: dict[str, Any]) -> None:
    """C: mount a /proc of the new pid namespace (while the host's /proc is still visible, as a
    user namespace requires), pivot into the new root, drop the old one, make / read-only."""
    root = config["mountpoint"]
    with contextlib.suppress(BootError):  # without /proc the program just cannot see itself
        _mount("proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    _pivot_root(root, root + "/.oldroot")
    os.chdir("/")
    _check(_libc.umount2(b"/.oldroot", _MNT_DETACH), "umount old root")
    os.rmdir("/.oldroot")
    _mount(None, "/", None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)


def _map_user() -> None:
    uid, gid = os.geteuid(), os.getegid()
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)
    with open("/proc/self/gid_map", "w") as fh:
        fh.write(f"{gid} {gid} 1")


# --- H: the runner's process ----------------------------------------------------------------


def _set_limits(limits: dict[str, Any], nproc: int | None) -> None:
    cpu = max(1, int(limits["cpu_seconds"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def _user_processes(uid: int) -> int:
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{name}/task"))
            except OSError:
                continue
    return count


def _lock_down(config: dict[str, Any]) -> None:
    limits = config["limits"]
    if config["mode"] == "unsafe-local":
        nproc = None  # RLIMIT_NPROC counts all of the user's processes (never root's)
        if os.geteuid() != 0:
            nproc = _user_processes(os.geteuid()) + int(limits["max_processes"])
        _set_limits(limits, nproc)
    elif os.geteuid() == 0:  # a uid of its own, so RLIMIT_NPROC applies and counts only us
        uid = int(config["uid_base"]) + int(config["boot_pid"])
        _set_limits(limits, int(limits["max_processes"]))
        _drop_bounding_set()
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    else:  # in our own user namespace: RLIMIT_NPROC counts only this namespace's processes
        _set_limits(limits, int(limits["max_processes"]))
        _drop_capabilities()
    _prctl(_PR_SET_NO_NEW_PRIVS, 1, "PR_SET_NO_NEW_PRIVS")


def _runner_process(config: dict[str, Any], runner: dict[str, Any]) -> int:
    """H: lock down, point fds 0/1 at /dev/null, run the runner's main(channel)."""
    try:
        _lock_down(config)
        os.dup2(0, _PROTO_IN)
        os.dup2(1, _PROTO_OUT)
        null = os.open("/dev/null", os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.close(null)
        os.chdir(config["workdir"])
    except (BootError, OSError, ValueError) as exc:
        _report(1, {"op": "boot_error", "stage": "lock-down", "error": str(exc)})
        return _BOOT_FAILED
    os.environ.clear()
    os.environ.update(config["env"])
    channel = Channel(_PROTO_IN, _PROTO_OUT)
    channel.send({"op": "ready", "pid": os.getpid(), "uid": os.getuid()})
    return int(runner["main"](channel) or 0)


def _fork_runner(config: dict[str, Any], runner: dict[str, Any]) -> int:
    """Fork H; the child never returns."""
    child = os.fork()
    if child == 0:
        code = 1
        try:
            code = _runner_process(config, runner)
        finally:
            os._exit(code)
    return child


def _exit_code(wstatus: int) -> int:
    code = os.waitstatus_to_exitcode(wstatus)
    return code if code >= 0 else 128 - code


def _init_process(config: dict[str, Any], runner: dict[str, Any], go: int) -> int:
    """C: pid 1 of the sandbox's pid namespace."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, "PR_SET_PDEATHSIG")
    os.read(go, 1)  # EOF once the parent holds pidfds for P and C
    os.close(go)
    try:
        _enter_root(config)
    except (BootError, OSError) as exc:
        _report(1, {"op": "boot_error", "stage": "root", "error": str(exc)})
        return _BOOT_FAILED
    child = _fork_runner(config, runner)
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1):  # only H talks to the parent
        os.dup2(null, fd)
    os.close(null)
    while True:
        try:
            pid, wstatus = os.waitpid(-1, 0)
        except ChildProcessError:
            return 0
        if pid == child:
            return _exit_code(wstatus)


def _await_go(init_pid: int) -> bool:
    """Tell the parent our pids, then wait for its go-ahead (False: the parent has gone)."""
    _report(1, {"op": "boot", "boot_pid": os.getpid(), "init_pid": init_pid})
    return bool(Channel(0, 1).recv() == {"op": "go"})


def _supervise(child: int) -> int:
    """Wait for the sandbox's top process and report how it ended."""
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)  # only H reads the parent's messages
    os.close(null)
    _, wstatus = os.waitpid(child, 0)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    cpu = used.ru_utime + used.ru_stime + own.ru_utime + own.ru_stime
    _report(1, {"op": "exit", "status": _exit_code(wstatus), "cpu": round(cpu, 6)})
    return 0


def _boot_process(config: dict[str, Any], runner: dict[str, Any], zygote: int) -> int:
    """P: the sandbox's boot process, forked by the zygote with the pipes on fds 0-2."""
    os.setsid()
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, "PR_SET_PDEATHSIG")
    if os.getppid() != zygote:
        return _BOOT_FAILED
    config["boot_pid"] = os.getpid()
    if config["mode"] == "unsafe-local":
        if not _await_go(os.getpid()):
            return _BOOT_FAILED
        return _supervise(_fork_runner(config, runner))
    flags = _NEW_NAMESPACES
    try:
        if os.geteuid() == 0:
            _check(_libc.unshare(ctypes.c_int(flags)), "unshare(mount, net, pid, ipc, uts)")
        else:
            flags |= _CLONE_NEWUSER
            _check(_libc.unshare(ctypes.c_int(flags)), "unshare(user, mount, net, pid, ipc, uts)")
            _map_user()
        _build_root(config)
    except (BootError, OSError) as exc:
        _report(1, {"op": "boot_error", "stage": "namespaces", "error": str(exc)})
        return _BOOT_FAILED
    go_read, go_write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(go_write)
        code = _BOOT_FAILED
        try:
            code = _init_process(config, runner, go_read)
        except BaseException as exc:
            _report(1, {"op": "boot_error", "stage": "init", "error": str(exc)})
        finally:
            os._exit(code)
    os.close(go_read)
    if not _await_go(child):
        os.kill(child, signal.SIGKILL)
    os.close(go_write)
    return _supervise(child)


# --- the zygote -----------------------------------------------------------------------------


def _load_runner(path: str, cache: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The runner's module namespace, executed once in the zygote (its imports then shared)."""
    if path not in cache:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
        namespace: dict[str, Any] = {"__name__": "__qnext_runner__", "__file__": path}
        exec(compile(source, path, "exec"), namespace)
        cache[path] = namespace
    return cache[path]


def _fork_sandbox(request: dict[str, Any], fds: list[int], cache: dict[str, Any]) -> None:
    try:
        runner = _load_runner(request["runner"], cache)
        pid = os.fork()
    except Exception as exc:
        _report(fds[1], {"op": "boot_error", "stage": "zygote", "error": str(exc)})
        return
    if pid == 0:
        code = _BOOT_FAILED
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            os.closerange(3, 1 << 16)
            code = _boot_process(request, runner, os.getppid())
        except BaseException as exc:
            _report(1, {"op": "boot_error", "stage": "boot", "error": str(exc)})
        finally:
            os._exit(code)


def _zygote(base: dict[str, Any]) -> int:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # sandboxes are reaped automatically
    sys.path[:] = base["sys_path"]
    control = socket.socket(fileno=int(base["control_fd"]))
    cache: dict[str, dict[str, Any]] = {}
    while True:
        ready, _, _ = select.select([control.fileno(), 0], [], [])
        if 0 in ready and not os.read(0, 4096):
            return 0  # the parent closed our stdin: it has gone
        if control.fileno() in ready:
            try:
                data, fds, _, _ = socket.recv_fds(control, _MAX_REQUEST, 3)
            except OSError:
                return 0
            if not data:
                return 0
            try:
                request = {**base, **json.loads(data.decode("utf-8"))}
                if len(fds) == 3:
                    _fork_sandbox(request, fds, cache)
            finally:
                for fd in fds:
                    os.close(fd)


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] != "zygote":
        print("usage: _boot.py zygote CONFIG_JSON", file=sys.stderr)
        return 2
    return _zygote(json.loads(argv[2]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
