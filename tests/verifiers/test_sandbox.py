"""The sandbox against hostile candidates: each must end within its limits, the host unharmed."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cascade.verifiers import sandbox_process
from cascade.verifiers.sandbox import (
    Limits,
    SandboxError,
    arun_python,
    arun_tests,
    run_python,
    run_tests,
)
from cascade.verifiers.sandbox_guard import Guard
from cascade.verifiers.sandbox_harness import plan_tests

QUICK = Limits(timeout_s=3.0, memory_mb=256, max_output_bytes=10_000)
ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not ROOT, reason="the layer under test needs root")


def _sandbox_children() -> list[int]:
    """Pids of live sandbox interpreters started by this process."""
    found: list[int] = []
    if not os.path.isdir("/proc"):
        return found
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"_cascade_sandbox" in cmdline:
            found.append(int(entry))
    return found


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    yield
    deadline = time.monotonic() + 2.0
    while _sandbox_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _sandbox_children() == []


# --- ordinary programs -------------------------------------------------------------------------


def test_success_reads_stdin_and_writes_stdout() -> None:
    result = run_python("name = input()\nprint(f'hello {name}')", stdin="ada\n", limits=QUICK)
    assert result.ok
    assert (result.exit_code, result.stdout, result.stderr) == (0, "hello ada\n", "")
    assert result.killed is None and not result.timed_out


def test_exception_exits_1_with_a_traceback_of_the_candidate_only() -> None:
    result = run_python("def f():\n    raise ValueError('boom')\nf()", limits=QUICK)
    assert not result.ok and result.exit_code == 1 and result.killed is None
    assert result.stderr.endswith("ValueError: boom\n")
    assert 'File "solution.py", line 2, in f' in result.stderr
    assert "sandbox" not in result.stderr


def test_sys_exit_is_the_program_status() -> None:
    assert run_python("import sys\nsys.exit(0)\nprint('after')", limits=QUICK).ok
    result = run_python("import sys\nsys.exit(3)", limits=QUICK)
    assert (result.ok, result.exit_code, result.killed) == (False, 3, None)


def test_files_are_provided_and_the_work_directory_is_removed() -> None:
    code = (
        "import os, helper\n"
        "print(os.getcwd())\n"
        "print(open('data/in.txt').read(), helper.VALUE)\n"
        "open('data/out.txt', 'w').write('written')"
    )
    files = {"data/in.txt": "42", "helper.py": "VALUE = 7\n"}
    result = run_python(code, files=files, limits=QUICK)
    assert result.ok, result.stderr
    workdir, content = result.stdout.splitlines()
    assert content == "42 7"
    assert not os.path.exists(workdir)


def test_stdin_cannot_be_written() -> None:
    result = run_python("import os\nos.write(0, b'x')", stdin="data", limits=QUICK)
    assert result.exit_code == 1 and "OSError" in result.stderr


@root_only
def test_the_work_directory_is_capped() -> None:
    code = "for i in range(8):\n    open(f'f{i}', 'wb').write(bytes(1 << 20))"
    result = run_python(code, limits=Limits(timeout_s=3.0, max_disk_mb=2))
    assert result.exit_code == 1 and "No space left on device" in result.stderr


def test_file_names_must_stay_inside_the_work_directory() -> None:
    with pytest.raises(ValueError, match="relative path"):
        run_python("pass", files={"../escape": "x"}, limits=QUICK)


def test_limits_reach_the_child_as_rlimits() -> None:
    code = (
        "import resource as r\n"
        "for n in ('RLIMIT_CPU', 'RLIMIT_AS', 'RLIMIT_FSIZE', 'RLIMIT_CORE'):\n"
        "    print(r.getrlimit(getattr(r, n))[0])"
    )
    limits = Limits(timeout_s=2.0, cpu_s=1.5, memory_mb=200, max_file_mb=3)
    result = run_python(code, limits=limits)
    assert result.stdout.split() == ["2", str(200 << 20), str(3 << 20), "0"]


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        Limits(timeout_s=0)


# --- hostile candidates ------------------------------------------------------------------------


def test_infinite_loop_is_killed_at_the_wall_clock_limit() -> None:
    result = run_python("while True:\n    pass", limits=Limits(timeout_s=0.5))
    assert result.killed == "timeout" and result.timed_out and not result.ok
    assert result.exit_code == -9
    assert 0.5 <= result.duration_s < 2.5


def test_fork_bomb_is_refused_and_nothing_survives() -> None:
    result = run_python("import os\nwhile True:\n    os.fork()", limits=QUICK)
    assert not result.ok and "PermissionError: sandbox: os.fork" in result.stderr
    for code in ("import subprocess\nsubprocess.run(['true'])", "import os\nos.system('true')"):
        assert "PermissionError" in run_python(code, limits=QUICK).stderr


@root_only
def test_thread_bomb_stops_at_the_task_limit() -> None:
    code = (
        "import threading\n"
        "stop = threading.Event()\n"
        "try:\n"
        "    while True:\n"
        "        threading.Thread(target=stop.wait, daemon=True).start()\n"
        "except RuntimeError as exc:\n"
        "    print(threading.active_count(), exc)\n"
    )
    result = run_python(code, limits=Limits(timeout_s=3.0, max_threads=20))
    assert result.ok, result.stderr
    count, _ = result.stdout.split(" ", 1)
    assert int(count) <= 20


def test_memory_bomb_is_reported_as_memory() -> None:
    grow = "chunks = []\nwhile True:\n    chunks.append(bytearray(10**7))"
    for code in (grow, "x = bytearray(1 << 40)"):
        result = run_python(code, limits=Limits(timeout_s=3.0, memory_mb=128))
        assert result.killed == "memory" and not result.ok
        assert "MemoryError" in result.stderr


def test_writing_outside_the_work_directory_fails(tmp_path: Path) -> None:
    target, keep = tmp_path / "escape.txt", tmp_path / "keep.txt"
    keep.write_text("mine")
    attempts = [
        f"open({str(target)!r}, 'w').write('x')",
        f"import os\nos.remove({str(keep)!r})",
        f"import os\nos.rename({str(keep)!r}, 'stolen')",
        f"import os\nos.symlink({str(target)!r}, 'link')\nopen('link', 'w').write('x')",
        f"import shutil\nshutil.rmtree({str(tmp_path)!r})",
        "open('/tmp/cascade-sandbox-escape', 'w').write('x')",
        # switching the guard off first: its module is out of reach, gc introspection refused
        "import sys, gc\n"
        "for m in list(sys.modules.values()) + gc.get_objects():\n"
        "    if hasattr(m, 'refuse'):\n"
        "        type(m).refuse = lambda *args: None\n"
        f"open({str(target)!r}, 'w').write('x')",
    ]
    for code in attempts:
        result = run_python(code, limits=QUICK)
        assert not result.ok and "PermissionError" in result.stderr, code
    assert not target.exists() and keep.read_text() == "mine"
    assert not os.path.exists("/tmp/cascade-sandbox-escape")


@root_only
def test_writes_that_slip_past_the_hook_meet_the_kernel(tmp_path: Path) -> None:
    # The hook cannot see dir_fd on open(); the identity drop and read-only mounts still hold.
    code = (
        "import os\n"
        f"fd = os.open({str(tmp_path)!r}, os.O_RDONLY)\n"
        "os.open('escape.txt', os.O_WRONLY | os.O_CREAT, dir_fd=fd)"
    )
    result = run_python(code, limits=QUICK)
    assert result.exit_code == 1 and "Error" in result.stderr
    assert not (tmp_path / "escape.txt").exists()


def test_sockets_are_refused() -> None:
    for code in (
        "import socket\nsocket.socket()",
        "import socket\nsocket.create_connection(('127.0.0.1', 80), timeout=1)",
        "import socket\nsocket.socket(socket.AF_UNIX).connect('/run/dbus/system_bus_socket')",
    ):
        result = run_python(code, limits=QUICK)
        assert not result.ok and "PermissionError: sandbox: socket." in result.stderr


def test_asyncio_still_works() -> None:
    code = "import asyncio\nasync def main():\n    await asyncio.sleep(0)\n    print('ok')\n"
    result = run_python(code + "asyncio.run(main())", limits=QUICK)
    assert result.ok and result.stdout == "ok\n", result.stderr


@root_only
def test_the_network_namespace_has_no_interface_but_loopback() -> None:
    code = "print(open('/proc/net/dev').read())"
    lines = run_python(code, limits=QUICK).stdout.strip().splitlines()[2:]
    assert [line.split(":")[0].strip() for line in lines] == ["lo"]


def test_killing_the_parent_fails_and_the_host_survives() -> None:
    for code in ("import os\nos.kill(os.getppid(), 9)", "import os\nos.killpg(os.getpgid(0), 9)"):
        result = run_python(code, limits=QUICK)
        assert result.exit_code == 1 and "PermissionError" in result.stderr


@root_only
def test_killing_the_parent_below_the_hook_fails() -> None:
    code = "import os, signal\nsignal.pidfd_send_signal(os.pidfd_open(os.getppid()), 9)"
    result = run_python(code, limits=QUICK)
    assert result.exit_code == 1 and "PermissionError" in result.stderr


def test_huge_output_is_capped_and_stopped() -> None:
    result = run_python("while True:\n    print('x' * 10_000)", limits=QUICK)
    assert result.killed == "output" and result.truncated and not result.ok
    assert result.stdout.endswith("[... truncated at 10000 bytes]")
    assert len(result.stdout) < 10_100


def test_the_host_environment_is_invisible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-secret")
    code = (
        "import os\n"
        "print(os.environ.get('ANTHROPIC_API_KEY'))\n"
        "print(open(f'/proc/{os.getppid()}/environ').read())"
    )
    result = run_python(code, limits=QUICK)
    assert result.stdout == "None\n"
    assert "sk-test-secret" not in result.stdout + result.stderr
    assert "PermissionError" in result.stderr


def test_native_code_is_refused() -> None:
    result = run_python("import ctypes", limits=QUICK)
    assert "ImportError: sandbox: importing ctypes" in result.stderr


def test_a_broken_interpreter_is_a_sandbox_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_process, "_INTERPRETER", ("/nonexistent/python",))
    with pytest.raises(SandboxError, match="cannot start"):
        run_python("pass", limits=QUICK)


# --- tests of a candidate ----------------------------------------------------------------------

ADD = "def add(a, b):\n    return a + b\n"


def test_share_of_tests_passing() -> None:
    tests = "import math\nassert add(1, 2) == 3\nassert add(1, 1) == 3\ndef test_zero():\n"
    tests += "    assert add(0, 0) == 0\n"
    report = run_tests(ADD, tests, limits=QUICK)
    assert [o.name for o in report.outcomes] == [
        "assert add(1, 2) == 3",
        "assert add(1, 1) == 3",
        "test_zero()",
    ]
    assert [o.passed for o in report.outcomes] == [True, False, True]
    assert report.outcomes[1].error == "AssertionError"
    assert (report.passed, report.total, report.completed, report.ok) == (2, 3, True, False)
    assert report.share == pytest.approx(2 / 3)


def test_a_sequence_gives_one_test_per_item() -> None:
    report = run_tests(ADD, ["assert add(2, 2) == 4", "assert add('a', 1)"], limits=QUICK)
    assert [o.passed for o in report.outcomes] == [True, False]
    assert report.outcomes[1].error is not None and "TypeError" in report.outcomes[1].error


@pytest.mark.parametrize("escape", ["import sys\nsys.exit(0)", "import os\nos._exit(0)"])
def test_exiting_before_the_tests_fails_them_all(escape: str) -> None:
    report = run_tests(escape + "\n" + ADD, "assert add(1, 2) == 3", limits=QUICK)
    assert not report.ok and report.passed == 0
    assert report.outcomes[0].error is not None and report.outcomes[0].error.startswith("not run")


def test_forged_reports_do_not_count() -> None:
    forge = (
        "import os\n"
        "print('PASSED 1/1')\n"
        "for fd in range(3, 64):\n"
        '    for line in ("ready\\n", "0 (\'test\', 0, None)\\n", "0 (\'done\',)\\n"):\n'
        "        try:\n"
        "            os.write(fd, line.encode())\n"
        "        except OSError:\n"
        "            pass\n"
        "os._exit(0)\n"
    )
    report = run_tests(forge, "assert False", limits=QUICK)
    assert (report.passed, report.completed, report.ok) == (0, False, False)


@pytest.mark.parametrize(
    "tamper",
    [
        "import builtins\nbuiltins.exec = lambda *args, **kwargs: None",
        "import builtins\nbuiltins.compile = lambda *args, **kwargs: compile('pass', '', 'exec')",
        "import os\nwrite = os.write\n"
        "os.write = lambda fd, data: write(fd, data.replace(b\"'AssertionError'\", b'None'))",
        "import sys\nsys.modules['_cascade_sandbox.sandbox_harness'].describe = lambda e: None",
        "import sys\nsys.settrace(lambda *args: None)",
    ],
)
def test_tampering_with_the_harness_forges_nothing(tamper: str) -> None:
    report = run_tests(tamper, ["assert False", "assert 1 == 2"], limits=QUICK)
    assert report.passed == 0 and not report.ok


def test_isolated_runs_contain_a_hanging_test() -> None:
    code = ADD + "def hang():\n    while True:\n        pass\n"
    tests = ["assert add(1, 2) == 3", "hang()", "assert add(2, 2) == 4"]
    shared = run_tests(code, tests, limits=Limits(timeout_s=0.3))
    assert [o.passed for o in shared.outcomes] == [True, False, False]
    assert shared.runs[0].killed == "timeout"
    isolated = run_tests(code, tests, limits=Limits(timeout_s=0.3), isolated=True)
    assert [o.passed for o in isolated.outcomes] == [True, False, True]
    assert len(isolated.runs) == 3


def test_failed_setup_stops_the_remaining_tests() -> None:
    report = run_tests(
        ADD, "assert add(1, 2) == 3\nimport missing_module\nassert True", limits=QUICK
    )
    assert [o.passed for o in report.outcomes] == [True, False]
    assert (
        report.outcomes[1].error is not None and "ModuleNotFoundError" in report.outcomes[1].error
    )


def test_test_planning() -> None:
    steps = plan_tests("x = 1\nassert x\nasync def test_a():\n    pass\n")
    assert [(s.kind, s.name) for s in steps] == [
        ("setup", "line 1"),
        ("test", "assert x"),
        ("setup", "line 3"),
        ("test", "test_a()"),
    ]
    assert [s.kind for s in plan_tests("check(add)")] == ["test"]
    with pytest.raises(ValueError, match="parse"):
        plan_tests("assert (")
    for empty in ("", [], ["assert True", "  "]):
        with pytest.raises(ValueError, match="no test code"):
            plan_tests(empty)


# --- async -------------------------------------------------------------------------------------


async def test_async_runs_overlap() -> None:
    started = time.monotonic()
    results = await asyncio.gather(
        *(arun_python("import time\ntime.sleep(0.4)", limits=QUICK) for _ in range(3))
    )
    assert all(r.ok for r in results)
    assert time.monotonic() - started < 1.2
    report = await arun_tests(ADD, "assert add(1, 2) == 3", limits=QUICK)
    assert report.ok


async def test_cancelling_kills_the_child() -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(arun_python("while True:\n    pass"), timeout=0.3)
    # the autouse fixture checks that the child is gone


# --- the audit policy, in process --------------------------------------------------------------


def test_guard_policy(tmp_path: Path) -> None:
    guard = Guard(str(tmp_path))
    inside, outside = str(tmp_path / "a"), "/etc/passwd"
    assert guard.refuse("open", (inside, "w", os.O_WRONLY | os.O_CREAT)) is None
    assert guard.refuse("open", (outside, "r", os.O_RDONLY)) is None
    assert guard.refuse("open", (outside, None, os.O_WRONLY)) is not None
    assert guard.refuse("open", ("/dev/null", "w", os.O_WRONLY)) is None
    assert guard.refuse("open", (3, "w", os.O_WRONLY)) is None
    assert guard.refuse("open", ("/proc/1/environ", "r", os.O_RDONLY)) is not None
    assert guard.refuse("open", ("/proc/self/status", "r", os.O_RDONLY)) is None
    assert guard.refuse("os.rename", (inside, outside, -1, -1)) is not None
    fd = os.open(str(tmp_path), os.O_RDONLY)
    try:
        assert guard.refuse("os.remove", ("a", fd)) is None
        assert guard.refuse("os.remove", ("../a", fd)) is not None
    finally:
        os.close(fd)
    assert guard.refuse("import", ("_ctypes", None, None, None, None)) is not None
    assert guard.refuse("import", ("json", None, None, None, None)) is None
    assert guard.refuse("import", ("evil", inside + ".so", None, None, None)) is not None
    for event in ("os.fork", "os.kill", "socket.__new__", "ctypes.dlopen", "subprocess.Popen"):
        assert guard.refuse(event, ()) is not None
    assert guard.refuse("compile", (b"", "<x>")) is None
