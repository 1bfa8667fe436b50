#!/usr/bin/env bash
# A throwaway single-node Slurm cluster on this machine, for trying `precisionlab slurm` and for its
# integration test. Needs root and Debian's slurm-wlm and munge packages.
#
#   scripts/slurm-local-cluster.sh start DIR   # munged, slurmctld, slurmd; config, state, logs in DIR
#   export SLURM_CONF=DIR/slurm.conf           # then sbatch, squeue, precisionlab slurm … use it
#   scripts/slurm-local-cluster.sh stop DIR    # stops exactly the daemons start started, by pid
#
# Nothing outside DIR is touched: its own munge key and socket, non-default ports chosen free, one
# partition `ci` holding this host with all its CPUs. `start` stops what it started if any step fails.
set -euo pipefail

command=${1:-}
dir=${2:-}
if [ -z "$command" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 64
fi

stop() {
  local pids="$dir/daemons.pids"
  [ -f "$pids" ] || return 0
  # Stop in reverse order of starting, each by its pid; SIGKILL what is still alive after 10 s.
  for pid in $(tac "$pids" | cut -d' ' -f2); do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 100); do
    alive=0
    for pid in $(cut -d' ' -f2 "$pids"); do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in $(cut -d' ' -f2 "$pids"); do kill -9 "$pid" 2>/dev/null || true; done
  rm -f "$pids"
}

if [ "$command" = stop ]; then
  stop
  exit 0
fi
[ "$command" = start ] || { echo "$0: unknown command '$command' (start or stop)" >&2; exit 64; }

if [ "$(id -u)" != 0 ]; then echo "$0: needs root (munged and slurmd run as root here)" >&2; exit 77; fi
for tool in munged slurmctld slurmd sbatch sinfo; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "$0: $tool is missing: apt-get install -y slurm-wlm munge" >&2; exit 77; }
done
export PATH="$PATH:/usr/sbin"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
trap 'status=$?; if [ $status != 0 ]; then echo "$0: start failed; logs in $dir/log" >&2; stop; fi' EXIT
chmod 755 "$dir"   # munged requires a socket directory every user can reach
mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
chmod 700 "$dir/munge"
: > "$dir/daemons.pids"

# Two free ports, away from Slurm's defaults (6817, 6818).
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 50); do
  port=$((20000 + (RANDOM % 20000) * 2))
  if ! listening $port && ! listening $((port + 1)); then break; fi
done

host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))

# munge: a fresh key, its own socket; root may run it here (--force skips the ownership checks).
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge.socket" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" </dev/null >>"$dir/log/start.log" 2>&1
echo "munged $(cat "$dir/munge/munged.pid")" >> "$dir/daemons.pids"

cat > "$dir/slurm.conf" <<CONF
# Written by scripts/slurm-local-cluster.sh: a single-node cluster for testing.
ClusterName=precisionlab-local
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -f "$SLURM_CONF" </dev/null >>"$dir/log/start.log" 2>&1
for _ in $(seq 100); do [ -s "$dir/slurmctld.pid" ] && break; sleep 0.1; done
echo "slurmctld $(cat "$dir/slurmctld.pid")" >> "$dir/daemons.pids"
slurmd -f "$SLURM_CONF" </dev/null >>"$dir/log/start.log" 2>&1
for _ in $(seq 100); do [ -s "$dir/slurmd.pid" ] && break; sleep 0.1; done
echo "slurmd $(cat "$dir/slurmd.pid")" >> "$dir/daemons.pids"

# Ready when the node is idle.
for _ in $(seq 300); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && break
  sleep 0.1
done
[ "$state" = idle ] || { echo "$0: the node did not become idle (state '$state')" >&2; exit 1; }
trap - EXIT
echo "Slurm cluster up: SLURM_CONF=$SLURM_CONF (ports $port, $((port + 1)); pids in $dir/daemons.pids)"
