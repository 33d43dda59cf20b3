"""Print the image's exact package list: Debian packages (dpkg) and Python distributions.

Used by `code-interpreter env freeze` and recorded in exported notebooks, so a thread can be
re-run later on the same packages. Output lines: `deb <name>=<version>` and `py <name>==<version>`.
"""
import importlib.metadata
import subprocess

def main() -> None:
    dpkg = subprocess.run(
        ["dpkg-query", "-W", "-f", "${db:Status-Abbrev}\\t${Package}\\t${Version}\\n"],
        capture_output=True, text=True, check=False,
    ).stdout
    lines = []
    for row in dpkg.splitlines():
        status, name, version = (row.split("\t") + ["", "", ""])[:3]
        if status.startswith("ii"):
            lines.append(f"deb {name}={version}")
    seen = set()
    py = []
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if not name or name.lower() in seen:
            continue
        seen.add(name.lower())
        py.append(f"py {name}=={dist.version}")
    print("\n".join(sorted(lines) + sorted(py, key=str.lower)))

if __name__ == "__main__":
    main()
