#!/usr/bin/env bash
# Makes the Windows package of the village station: one zip that a county IT
# person copies to a village laptop and installs with install.cmd
# (docs/WINDOWS.md). Made on Linux: the program is cross-built with
# Debian's mingw-w64 unless --exe names one already built.
#
#   deploy/windows/package.sh [--exe sanji.exe] [--out DIR]
#       a package for any village: install.cmd asks for the village's code
#       and the hub's address, and wants the certificates in its certs folder
#   deploy/windows/package.sh --code 360123100201 --hub 10.1.2.3:7100 \
#       --certs DIR [--by 李红梅] [--exe sanji.exe] [--out DIR]
#       a package for one village, its certificates inside: nothing to type.
#       It holds the station's private key: hand it over on a USB stick,
#       never by e-mail or chat, and delete it once installed.
#
# Writes DIR/sanji-station[-CODE].zip (DIR defaults to target/windows/package)
# and prints its path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
exe="" code="" hub="" certs="" by="" out="$root/target/windows/package"
while [ $# -gt 0 ]; do
  case "$1" in
    --exe) exe="$2"; shift 2 ;;
    --code) code="$2"; shift 2 ;;
    --hub) hub="$2"; shift 2 ;;
    --certs) certs="$2"; shift 2 ;;
    --by) by="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "不认识的参数 $1(可用:--exe --code --hub --certs --by --out)" >&2; exit 2 ;;
  esac
done
if [ -n "$code" ] && { [ -z "$hub" ] || [ -z "$certs" ]; }; then
  echo "为某村打包时 --code、--hub、--certs 三项都要写" >&2
  exit 2
fi
if ! command -v zip >/dev/null; then
  echo "缺少 zip:请先运行 apt-get install -y zip" >&2
  exit 1
fi

if [ -z "$exe" ]; then
  (cd "$root" && cargo build --release --locked --target x86_64-pc-windows-gnu \
    -p sanji-cli --no-default-features)
  exe="$root/target/x86_64-pc-windows-gnu/release/sanji.exe"
fi
[ -f "$exe" ] || { echo "找不到程序 $exe" >&2; exit 1; }

name="sanji-station${code:+-$code}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pkg="$work/$name"
mkdir -p "$pkg/certs"
cp "$exe" "$pkg/sanji.exe"

# Windows' own tools want CRLF; Notepad opens UTF-8 with a BOM correctly on
# every Windows 10.
crlf() { sed 's/\r$//; s/$/\r/' "$1"; }
crlf "$here/install.cmd" >"$pkg/install.cmd"
crlf "$here/uninstall.cmd" >"$pkg/uninstall.cmd"
{ printf '\xef\xbb\xbf'; crlf "$here/README.txt"; } >"$pkg/README.txt"

{
  printf '\xef\xbb\xbf'
  echo "# 本安装包的安装设置(install.cmd 读取)。没写的项,安装时会询问。"
  if [ -n "$code" ]; then
    echo "code = \"$code\""
    echo "hub = \"$hub\""
    [ -n "$by" ] && echo "by = \"$by\""
    for f in ca.pem "$code.pem" "$code-key.pem"; do
      [ -f "$certs/$f" ] || { echo "证书目录 $certs 中缺少 $f" >&2; exit 1; }
      cp "$certs/$f" "$pkg/certs/"
    done
  else
    echo "# code = \"360123100201\"      # 本村区划代码(12 位)"
    echo "# hub = \"192.168.1.10:7100\"  # 镇中心地址"
    echo "# by = \"李红梅\"              # 默认经办人"
  fi
  echo "# encryption = \"node_key\"     # 本地数据加密:node_key(默认) passphrase(口令) none"
} | sed 's/$/\r/' >"$pkg/station.toml"
if [ -z "$code" ]; then
  printf '把县里为本村签发的 ca.pem、<本村代码>.pem、<本村代码>-key.pem 三个文件放在这里。\r\n' \
    >"$pkg/certs/README.txt"
fi

mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out/$name.zip"
(cd "$work" && zip -q -r -X "$out/$name.zip" "$name")
echo "$out/$name.zip"
