// Writes `hello`: a 150-byte static Linux executable (x86-64 or arm64, the host's) that prints a line
// and exits. It lets the quick-start image run with `podman run` although it is built FROM scratch
// with no network: there is no base image to pull and nothing to compile.
import { writeFileSync } from 'node:fs';
import { arch } from 'node:process';

const message = Buffer.from('Hello from an image kaniko-ts built without a daemon!\n');
const base = 0x400000;
const headers = 64 + 56;

function x64() {
  const code = Buffer.concat([
    Buffer.from([0xb8, 1, 0, 0, 0]), // mov eax, 1 (write)
    Buffer.from([0xbf, 1, 0, 0, 0]), // mov edi, 1 (stdout)
    Buffer.from([0x48, 0x8d, 0x35, 16, 0, 0, 0]), // lea rsi, [rip+16] (the message)
    Buffer.from([0xba, message.length, 0, 0, 0]), // mov edx, len
    Buffer.from([0x0f, 0x05]), // syscall
    Buffer.from([0xb8, 60, 0, 0, 0]), // mov eax, 60 (exit)
    Buffer.from([0x31, 0xff]), // xor edi, edi
    Buffer.from([0x0f, 0x05]), // syscall
  ]);
  return { machine: 0x3e, code };
}

function arm64() {
  const words = [
    0xd2800020, // mov x0, #1 (stdout)
    0x100000e1, // adr x1, .+28 (the message)
    0xd2800002 | (message.length << 5), // mov x2, #len
    0xd2800808, // mov x8, #64 (write)
    0xd4000001, // svc #0
    0xd2800000, // mov x0, #0
    0xd2800ba8, // mov x8, #93 (exit)
    0xd4000001, // svc #0
  ];
  const code = Buffer.alloc(words.length * 4);
  for (const [i, w] of words.entries()) code.writeUInt32LE(w >>> 0, i * 4);
  return { machine: 0xb7, code };
}

const { machine, code } = arch === 'arm64' ? arm64() : x64();
const size = headers + code.length + message.length;
const elf = Buffer.alloc(headers);
elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // ELF, 64-bit, little endian, version 1, System V
elf.writeUInt16LE(2, 16); // executable
elf.writeUInt16LE(machine, 18);
elf.writeUInt32LE(1, 20);
elf.writeBigUInt64LE(BigInt(base + headers), 24); // entry point
elf.writeBigUInt64LE(64n, 32); // program headers right after this header
elf.writeUInt16LE(64, 52);
elf.writeUInt16LE(56, 54);
elf.writeUInt16LE(1, 56); // one program header
elf.writeUInt32LE(1, 64); // PT_LOAD
elf.writeUInt32LE(5, 68); // read + execute
elf.writeBigUInt64LE(BigInt(base), 80);
elf.writeBigUInt64LE(BigInt(base), 88);
elf.writeBigUInt64LE(BigInt(size), 96);
elf.writeBigUInt64LE(BigInt(size), 104);
elf.writeBigUInt64LE(0x1000n, 112);
writeFileSync(new URL('./hello', import.meta.url), Buffer.concat([elf, code, message]), { mode: 0o755 });
