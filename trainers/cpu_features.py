"""What the CPU is and which instructions it has, from /proc/cpuinfo (Linux)."""

__all__ = ["cpu_name_and_flags", "native_bfloat16"]


def cpu_name_and_flags(cpuinfo=None):
    """(model name, set of feature flags) of the first processor in /proc/cpuinfo.

    Args:
        cpuinfo: the file's text (None: read it; where it cannot be read, the
            answer is ("unknown", empty set)).
    """
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as f:
                cpuinfo = f.read()
        except OSError:
            cpuinfo = ""
    name, flags = "unknown", set()
    for line in cpuinfo.splitlines():
        if line.startswith("model name") and name == "unknown":
            name = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = set(line.split(":", 1)[1].split())
    return name, flags


def native_bfloat16(cpuinfo=None):
    """Whether the CPU computes bfloat16 dot products natively: AVX512_BF16 or AMX."""
    return bool({"avx512_bf16", "amx_bf16"} & cpu_name_and_flags(cpuinfo)[1])
