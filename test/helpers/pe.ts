/**
 * Just enough of the PE format (Microsoft's "PE Format" specification) to check a Windows single
 * executable from Linux: its headers, its signature entry, and the RCDATA resources postject adds.
 */
export interface PeFile {
  /** 0x10b for PE32, 0x20b for PE32+ (64-bit). */
  optionalHeaderMagic: number;
  machine: number;
  /** The Certificate Table data directory (Authenticode signature): 0/0 when unsigned. */
  certificateTable: { offset: number; size: number };
  /** RT_RCDATA resources by name, with their bytes. */
  rcdata: Map<string, Buffer>;
}

const RT_RCDATA = 10;

export function parsePe(file: Buffer): PeFile {
  if (file.toString('latin1', 0, 2) !== 'MZ') throw new Error('no MZ header');
  const pe = file.readUInt32LE(0x3c);
  if (file.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error('no PE\\0\\0 signature');
  const machine = file.readUInt16LE(pe + 4);
  const sectionCount = file.readUInt16LE(pe + 6);
  const optionalHeaderSize = file.readUInt16LE(pe + 20);
  const optional = pe + 24;
  const optionalHeaderMagic = file.readUInt16LE(optional);
  const directories = optional + (optionalHeaderMagic === 0x20b ? 112 : 96);
  const directory = (index: number) => ({ rva: file.readUInt32LE(directories + 8 * index), size: file.readUInt32LE(directories + 8 * index + 4) });

  const sections = Array.from({ length: sectionCount }, (_, i) => {
    const at = optional + optionalHeaderSize + 40 * i;
    return { rva: file.readUInt32LE(at + 12), size: Math.max(file.readUInt32LE(at + 8), file.readUInt32LE(at + 16)), raw: file.readUInt32LE(at + 20) };
  });
  const offsetOf = (rva: number) => {
    const section = sections.find((s) => rva >= s.rva && rva < s.rva + s.size);
    if (!section) throw new Error(`RVA ${rva.toString(16)} is in no section`);
    return rva - section.rva + section.raw;
  };

  const rcdata = new Map<string, Buffer>();
  const resources = directory(2);
  if (resources.size > 0) {
    const root = offsetOf(resources.rva);
    const entries = (dir: number) => {
      const count = file.readUInt16LE(dir + 12) + file.readUInt16LE(dir + 14);
      return Array.from({ length: count }, (_, i) => ({ name: file.readUInt32LE(dir + 16 + 8 * i), target: file.readUInt32LE(dir + 20 + 8 * i) }));
    };
    const isDirectory = (target: number) => (target & 0x80000000) !== 0;
    const subdirectory = (target: number) => root + (target & 0x7fffffff);
    const nameOf = (name: number) => {
      const at = root + (name & 0x7fffffff);
      return file.toString('utf16le', at + 2, at + 2 + 2 * file.readUInt16LE(at));
    };
    for (const type of entries(root)) {
      if (type.name !== RT_RCDATA || !isDirectory(type.target)) continue;
      for (const named of entries(subdirectory(type.target))) {
        if ((named.name & 0x80000000) === 0 || !isDirectory(named.target)) continue;
        const language = entries(subdirectory(named.target))[0];
        if (!language || isDirectory(language.target)) continue;
        const data = root + language.target;
        const start = offsetOf(file.readUInt32LE(data));
        rcdata.set(nameOf(named.name), file.subarray(start, start + file.readUInt32LE(data + 4)));
      }
    }
  }

  const certificates = directory(4); // its "RVA" is a file offset
  return { optionalHeaderMagic, machine, certificateTable: { offset: certificates.rva, size: certificates.size }, rcdata };
}
