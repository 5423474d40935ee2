"""Proxmox container configuration files (/etc/pve/lxc/<CTID>.conf), read and written by
Proxmox's own rules, for the stand-in `pct` (test/harness/bin/pct) and the tests
(test/lib/pve-conf.ts runs `python3 pve_lxc_conf.py FILE`, which prints the parse as JSON).

Sources (github:proxmox/pve-container at 94f558522ef61f9858c39c264d0ac4e697e49268, cited as
`Config.pm:N` = src/PVE/LXC/Config.pm; facts collected in the project's notes proxmox-facts.md):
  - parse_pct_config, Config.pm:1126-1222 (`parse`), write_pct_config, Config.pm:1224-1299 (`write`);
  - is_valid_lxc_conf_key and its tables, Config.pm:725-850 (`lxc_key_validity`);
  - check_type, Config.pm:1401-1435 (`check_type`), on the option table $confdesc (Config.pm:512-723,
    netN 960-968, mpN 1041-1049, unusedN 1051-1059, devN 1117-1124), whose names and types `option_type` keeps;
  - PVE::Tools::encode_text/decode_text = pve-common src/PVE/ParseUtils.pm:60-68 (f665029).

A parsed file is a dict shaped like Proxmox's hash:
  {"digest": sha1 hex of the bytes, "current": SECTION, "pending": SECTION, "snapshots": {NAME: SECTION},
   "warnings": [str]}
where a SECTION maps option names to string values, plus "lxc": [[key, value], ...] (raw LXC keys in
file order), "env": "A=1\\0B=2" (lxc.environment.runtime) and "description" when present.
(Proxmox keeps the current section's keys at the top level of its hash; here it is "current".)
"""

import hashlib
import json
import re
import sys

# Option names and types of $confdesc (Config.pm:512-723 and the numbered families), for check_type.
_BOOLEAN = {"onboot", "template", "console", "protection", "unprivileged", "debug"}
_INTEGER = {"tty", "cores", "cpuunits", "memory", "swap", "snaptime"}
_NUMBER = {"cpulimit"}
_STRING = {
    "lock", "startup", "arch", "ostype", "hostname", "description", "searchdomain", "nameserver",
    "timezone", "rootfs", "parent", "cmode", "entrypoint", "features", "env", "hookscript", "tags",
}
# netN: 32 (Config.pm:960), mpN and unusedN: 256 ($MAX_MOUNT_POINTS, Config.pm:37-38), devN: 256 (Config.pm:39).
_NUMBERED = {"net": 32, "mp": 256, "unused": 256, "dev": 256}


def option_type(key):
    """The $confdesc type of `key` ('boolean', 'integer', 'number', 'string'), or None when unknown."""
    if key in _BOOLEAN:
        return "boolean"
    if key in _INTEGER:
        return "integer"
    if key in _NUMBER:
        return "number"
    if key in _STRING:
        return "string"
    m = re.fullmatch(r"(net|mp|unused|dev)(\d+)", key)
    if m and int(m.group(2)) < _NUMBERED[m.group(1)] and str(int(m.group(2))) == m.group(2):
        return "string"
    return None


class ConfError(Exception):
    """A Proxmox error message (without the trailing newline)."""


def check_type(key, value):
    """check_type (Config.pm:1401-1435): the value as Proxmox stores it; raises ConfError with its message."""
    t = option_type(key)
    if t is None:
        raise ConfError(f"unknown setting '{key}'")
    if re.search(r"[\n\r]", value):
        raise ConfError("property contains a line feed")
    if t == "boolean":
        if value == "1" or re.fullmatch(r"(on|yes|true)", value, re.I):
            return "1"
        if value == "0" or re.fullmatch(r"(off|no|false)", value, re.I):
            return "0"
        raise ConfError(f"type check ('boolean') failed - got '{value}'")
    if t == "integer":
        if re.fullmatch(r"\d+", value):
            return str(int(value))
        raise ConfError(f"type check ('integer') failed - got '{value}'")
    if t == "number":
        if re.fullmatch(r"\d+(\.\d+)?", value):
            return value
        raise ConfError(f"type check ('number') failed - got '{value}'")
    return value


# $valid_lxc_conf_keys (Config.pm:725-795): 1 = valid, a string = refused with that message.
VALID_LXC_KEYS = {
    k: 1
    for k in """lxc.apparmor.profile lxc.apparmor.allow_incomplete lxc.apparmor.allow_nesting lxc.apparmor.raw
    lxc.selinux.context lxc.include lxc.arch lxc.uts.name lxc.signal.halt lxc.signal.reboot lxc.signal.stop
    lxc.init.cmd lxc.init.cwd lxc.init.uid lxc.init.gid lxc.init.groups lxc.pty.max lxc.console.logfile
    lxc.console.path lxc.tty.max lxc.devtty.dir lxc.hook.autodev lxc.autodev lxc.kmsg lxc.mount.fstab
    lxc.mount.entry lxc.mount.auto lxc.rootfs.mount lxc.cap.drop lxc.cap.keep lxc.seccomp.profile
    lxc.seccomp.notify.proxy lxc.seccomp.notify.cookie lxc.idmap lxc.hook.pre-start lxc.hook.pre-mount
    lxc.hook.mount lxc.hook.start lxc.hook.stop lxc.hook.post-stop lxc.hook.clone lxc.hook.destroy
    lxc.hook.version lxc.log.level lxc.log.file lxc.start.auto lxc.start.delay lxc.start.order lxc.group
    lxc.environment lxc.environment.runtime lxc.environment.hooks lxc.sysctl.fs.mqueue
    lxc.sysctl.kernel.msgmax lxc.sysctl.kernel.msgmnb lxc.sysctl.kernel.msgmni lxc.sysctl.kernel.sem
    lxc.sysctl.kernel.shmall lxc.sysctl.kernel.shmmax lxc.sysctl.kernel.shmmni
    lxc.sysctl.kernel.shm_rmid_forced""".split()
}
VALID_LXC_KEYS["lxc.rootfs.path"] = "lxc.rootfs.path is auto generated from rootfs"
VALID_LXC_KEYS["lxc.rootfs.options"] = (
    'lxc.rootfs.options is not supported, please use mount point options in the "rootfs" key'
)

# $deprecated_lxc_conf_keys (Config.pm:797-828): accepted with a warning naming the new key.
DEPRECATED_LXC_KEYS = {
    "lxc.aa_profile": "lxc.apparmor.profile", "lxc.aa_allow_incomplete": "lxc.apparmor.allow_incomplete",
    "lxc.console": "lxc.console.path", "lxc.devttydir": "lxc.tty.dir", "lxc.haltsignal": "lxc.signal.halt",
    "lxc.rebootsignal": "lxc.signal.reboot", "lxc.stopsignal": "lxc.signal.stop", "lxc.id_map": "lxc.idmap",
    "lxc.init_cmd": "lxc.init.cmd", "lxc.loglevel": "lxc.log.level", "lxc.logfile": "lxc.log.file",
    "lxc.mount": "lxc.mount.fstab", "lxc.network.type": "lxc.net.INDEX.type",
    "lxc.network.flags": "lxc.net.INDEX.flags", "lxc.network.link": "lxc.net.INDEX.link",
    "lxc.network.mtu": "lxc.net.INDEX.mtu", "lxc.network.name": "lxc.net.INDEX.name",
    "lxc.network.hwaddr": "lxc.net.INDEX.hwaddr", "lxc.network.ipv4": "lxc.net.INDEX.ipv4.address",
    "lxc.network.ipv4.gateway": "lxc.net.INDEX.ipv4.gateway", "lxc.network.ipv6": "lxc.net.INDEX.ipv6.address",
    "lxc.network.ipv6.gateway": "lxc.net.INDEX.ipv6.gateway", "lxc.network.script.up": "lxc.net.INDEX.script.up",
    "lxc.network.script.down": "lxc.net.INDEX.script.down", "lxc.pts": "lxc.pty.max",
    "lxc.se_context": "lxc.selinux.context", "lxc.seccomp": "lxc.seccomp.profile", "lxc.tty": "lxc.tty.max",
    "lxc.utsname": "lxc.uts.name",
}


def lxc_key_validity(vmid, key, warn):
    """is_valid_lxc_conf_key (Config.pm:830-850): 1, 0, or the refusal message; warnings go to `warn`."""
    if key.startswith("lxc.limit."):
        warn(f"vm {vmid} - {key}: lxc.limit.* was renamed to lxc.prlimit.*")
        return 1
    if key in DEPRECATED_LXC_KEYS:
        warn(f"vm {vmid} - {key} is deprecated and was renamed to {DEPRECATED_LXC_KEYS[key]}")
        return 1
    if key in VALID_LXC_KEYS:
        return VALID_LXC_KEYS[key]
    if key.startswith("lxc.cgroup."):
        warn(f"vm {vmid} - {key} is deprecated, this will be a hard error in the future!")
        return 1
    if key.startswith(("lxc.cgroup2.", "lxc.prlimit.", "lxc.net.")):
        return 1
    return 0


# The line patterns of parse_pct_config, in the order it tries them (Config.pm:1158-1213).
PENDING_HEADER = re.compile(r"^\[pve:pending\]\s*$", re.I)  # 1160
SNAPSHOT_HEADER = re.compile(r"^\[([a-z][a-z0-9_\-]+)\]\s*$", re.I)  # 1166
COMMENT = re.compile(r"^#(.*)$")  # 1174
RAW_LXC = re.compile(r"^(lxc\.[a-z0-9_\-\.]+)(:|\s*=)\s*(.*?)\s*$")  # 1179
DESCRIPTION = re.compile(r"^(description):\s*(.*\S)\s*$")  # 1195
SNAPSTATE = re.compile(r"snapstate:\s*(prepare|delete)\s*$")  # 1197 (unanchored, as there)
DELETE = re.compile(r"^delete:\s*(.*\S)\s*$")  # 1199
OPTION = re.compile(r"^([a-z][a-z_]*\d*):\s*(.+?)\s*$")  # 1206


def decode_text(s):
    """decode_text (ParseUtils.pm:66-68): uri_unescape (%XX to a byte), then UTF-8."""
    return re.sub(rb"%([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), s.encode()).decode("utf-8", "replace")


def encode_text(s):
    """encode_text (ParseUtils.pm:60-64): UTF-8 bytes, each outside 0x20-0x24, 0x26-0x39, 0x3b-0x7e
    (so '%', ':', control and non-ASCII bytes) as %XX."""
    return "".join(
        chr(b) if 0x20 <= b <= 0x24 or 0x26 <= b <= 0x39 or 0x3B <= b <= 0x7E else f"%{b:02X}" for b in s.encode()
    )


def parse(filename, raw):
    """parse_pct_config (Config.pm:1126-1222), not strict (errors become warnings, as when pmxcfs
    reads the file: cfs_register_file without $strict, Config.pm:330).

    filename: must end in /lxc/<CTID>.conf (Config.pm:1149-1150). raw: the file's text.
    Returns {"digest", "current", "pending", "snapshots", "warnings"} (see the module docstring).
    """
    m = re.search(r"/lxc/(\d+)\.conf$", filename)
    if not m:
        raise ConfError(f"got strange filename '{filename}'")
    vmid = m.group(1)
    warnings = []
    res = {
        "digest": hashlib.sha1(raw.encode()).hexdigest(),
        "current": {},
        "pending": {},
        "snapshots": {},
        "warnings": warnings,
    }
    conf = res["current"]
    descr = ""
    section = ""
    for line in raw.split("\n"):
        if re.fullmatch(r"\s*", line):
            continue
        if PENDING_HEADER.match(line):
            section = "pending"
            if descr:
                conf["description"] = descr
            descr = ""
            conf = res["pending"] = {}
            continue
        h = SNAPSHOT_HEADER.match(line)
        if h:
            section = h.group(1)
            if descr:
                conf["description"] = descr
            descr = ""
            conf = res["snapshots"][section] = {}
            continue
        c = COMMENT.match(line)
        if c:
            descr += decode_text(c.group(1)) + "\n"
            continue
        r = RAW_LXC.match(line)
        if r:
            key, value = r.group(1), r.group(3)
            validity = lxc_key_validity(vmid, key, warnings.append)
            if key == "lxc.environment.runtime":
                conf["env"] = value if "env" not in conf else conf["env"] + "\0" + value
            elif validity == 1:
                conf.setdefault("lxc", []).append([key, value])
            elif validity:
                warnings.append(f"vm {vmid} - {key}: {validity}")
            else:
                warnings.append(f"vm {vmid} - unable to parse config: {line}")
            continue
        d = DESCRIPTION.match(line)
        if d:
            descr += decode_text(d.group(2))
            continue
        s = SNAPSTATE.search(line)
        if s:
            conf["snapstate"] = s.group(1)
            continue
        dl = DELETE.match(line)
        if dl:
            if section == "pending":
                conf["delete"] = dl.group(1)
            else:
                warnings.append(f"vm {vmid} - property 'delete' is only allowed in [pve:pending]")
            continue
        o = OPTION.match(line)
        if o:
            key, value = o.group(1), o.group(2)
            try:
                value = check_type(key, value)
            except ConfError as e:
                warnings.append(f"vm {vmid} - unable to parse value of '{key}' - {e}")
            conf[key] = value
            continue
        warnings.append(f"vm {vmid} - unable to parse config: {line}")
    if descr:
        conf["description"] = descr
    res["current"].pop("snapstate", None)  # Config.pm:1219
    return res


def _section_text(conf):
    """generate_raw_config of write_pct_config (Config.pm:1243-1284)."""
    out = []
    for cl in (conf.get("description") or "").split("\n"):
        if cl != "":
            out.append("#" + encode_text(cl) + "\n")
    for key in sorted(conf):
        if key in ("digest", "description", "pending", "snapshots", "snapname", "env", "lxc", "warnings"):
            continue
        value = conf[key]
        if "\n" in value:
            raise ConfError(f"detected invalid newline inside property '{key}'")
        out.append(f"{key}: {value}\n")
    if conf.get("env"):
        for variable in [v for v in re.split(r"\0+", conf["env"]) if v != ""]:
            out.append(f"lxc.environment.runtime: {variable}\n")
    for k, v in conf.get("lxc") or []:
        if k != "lxc.environment.runtime":
            out.append(f"{k}: {v}\n")
    return "".join(out)


def write(conf):
    """write_pct_config (Config.pm:1224-1299): the file text for a parse result.
    The current section, then `[pve:pending]` when pending is not empty, then each snapshot in
    name order, each after a blank line; keys sorted by name, raw lxc lines last in their order."""
    current = dict(conf["current"])
    current.pop("snapstate", None)
    # remove 'unusedX' settings if the volume is still used (Config.pm:1229-1240)
    used = set(volumes_of(current))
    for key in [k for k in current if k.startswith("unused")]:
        if current[key] in used:
            del current[key]
    raw = _section_text(current)
    if conf.get("pending"):
        raw += "\n[pve:pending]\n" + _section_text(conf["pending"])
    for name in sorted(conf.get("snapshots") or {}):
        raw += f"\n[{name}]\n" + _section_text(conf["snapshots"][name])
    return raw


def mountpoint_volume(value):
    """The `volume` of a rootfs/mpN/unusedN value (its default key, Config.pm:345-363)."""
    first = value.split(",")[0]
    return first[len("volume="):] if first.startswith("volume=") else first


def classify_mountpoint(volume):
    """classify_mountpoint (Config.pm:1897-1904): 'device' under /dev/, 'bind' another absolute path, else 'volume'."""
    if volume.startswith("/"):
        return "device" if volume.startswith("/dev/") else "bind"
    return "volume"


def volumes_of(section):
    """The storage volumes (type 'volume') of rootfs and mpN in one section (foreach_volume)."""
    out = []
    for key in sorted(section):
        if key == "rootfs" or re.fullmatch(r"mp\d+", key):
            vol = mountpoint_volume(section[key])
            if classify_mountpoint(vol) == "volume":
                out.append(vol)
    return out


def main(argv):
    """`python3 pve_lxc_conf.py FILE` or `... - NAME` (the text on stdin, NAME standing for its
    path): prints the parse as JSON (for test/lib/pve-conf.ts); exit 2 on a usage error."""
    if len(argv) not in (2, 3) or (len(argv) == 3) != (argv[1] == "-"):
        print("usage: pve_lxc_conf.py /path/to/lxc/<CTID>.conf | - /path/to/lxc/<CTID>.conf", file=sys.stderr)
        return 2
    if argv[1] == "-":
        name, raw = argv[2], sys.stdin.buffer.read().decode("utf-8")
    else:
        name = argv[1]
        with open(name, encoding="utf-8", newline="") as f:
            raw = f.read()
    try:
        res = parse(name, raw)
    except ConfError as e:
        print(str(e), file=sys.stderr)
        return 1
    json.dump(res, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
