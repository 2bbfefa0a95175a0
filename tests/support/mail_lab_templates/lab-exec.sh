#!/bin/sh
# Run a lab daemon with the lab's syslog socket as /dev/log.
# Started by `ip netns exec`, so this shell already has a private mount namespace whose mounts
# never reach the machine. OpenDKIM, OpenDMARC and the SPF policy daemon can only log to
# syslog, and this machine has none: a small tmpfs /dev, holding the usual device nodes
# (bind-mounted one by one) and /dev/log pointing at the lab's socket, makes their logs
# readable by tests. Nothing outside this namespace changes.
set -eu
lab="$1"; shift
newdev="$lab/run/dev.$$"
mkdir -p "$newdev"
mount -t tmpfs -o mode=0755,size=1m labdev "$newdev"
for node in null zero full random urandom tty; do
  touch "$newdev/$node"
  mount --bind "/dev/$node" "$newdev/$node"
done
mkdir "$newdev/pts" "$newdev/shm"
mount --bind /dev/pts "$newdev/pts"
mount --bind /dev/shm "$newdev/shm"
ln -s /proc/self/fd "$newdev/fd"
ln -s /proc/self/fd/0 "$newdev/stdin"
ln -s /proc/self/fd/1 "$newdev/stdout"
ln -s /proc/self/fd/2 "$newdev/stderr"
ln -s "$lab/syslog.sock" "$newdev/log"
mount --move "$newdev" /dev
exec "$@"
