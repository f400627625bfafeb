# SPDX-License-Identifier: GPL-2.0
#
# Runs in the kdump capture kernel: checks /proc/vmcore and prints its head
# (ELF header, program headers, notes) in base64 for the host to decode.
. /harness/ktap.sh

echo "harness: capture kernel up"
ktap_plan capture 2
ktap_check "vmcore-readable" dd if=/proc/vmcore of=/tmp/head bs=4096 count=16
ktap_check "vmcore-is-elf" sh -c '[ "$(dd if=/tmp/head bs=1 skip=1 count=3 2>/dev/null)" = ELF ]'
echo "harness: vmcore-head begin"
base64 /tmp/head
echo "harness: vmcore-head end"
