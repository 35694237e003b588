import { describe, expect, test } from "vitest";
import { installedPaths, isInstalledRecord, MAX_RECORD_FILE_BYTES, RecordBudget, RecordGatherer } from "../../../src/scan/layer/installed-records.js";

describe("a dist-info RECORD's installed files", () => {
  test.each([
    ["var/task/pycryptodome-3.23.0.dist-info/RECORD", true],
    ["pycryptodome-3.23.0.dist-info/RECORD", true],
    ["app/deps/PyJWT-2.6.0.dist-info/RECORD", true],
    ["app/deps/PyJWT-2.6.0.dist-info/RECORD.jws", false],
    ["app/deps/PyJWT-2.6.0.egg-info/RECORD", false],
    ["app/RECORD", false],
    ["app/.dist-info/RECORD", false],
  ])("%s is a RECORD: %s", (path, is) => {
    expect(isInstalledRecord(path)).toBe(is);
  });

  test("paths are relative to the folder holding the dist-info: quoted fields, CRLF, scripts outside it, none above the root", () => {
    const record = [
      "Crypto/SelfTest/PublicKey/test_import_RSA.py,sha256=abc,1234",
      '"Crypto/odd,name.py",sha256=def,12',
      '"Crypto/say ""hi"".py",,',
      "../../bin/pyjwt,sha256=ghi,200\r",
      "../../../../../etc/passwd,,",
      "/usr/bin/absolute,,",
      "pycryptodome-3.23.0.dist-info/RECORD,,",
      "",
    ].join("\n");
    expect(installedPaths("opt/lambda/var/task/pycryptodome-3.23.0.dist-info/RECORD", Buffer.from(record))).toEqual([
      "opt/lambda/var/task/Crypto/SelfTest/PublicKey/test_import_RSA.py",
      "opt/lambda/var/task/Crypto/odd,name.py",
      'opt/lambda/var/task/Crypto/say "hi".py',
      "opt/lambda/bin/pyjwt",
      "opt/lambda/var/task/pycryptodome-3.23.0.dist-info/RECORD",
    ]);
    expect(installedPaths("x-1.0.dist-info/RECORD", Buffer.from("x/__init__.py,,\n../y.py,,\n"))).toEqual(["x/__init__.py"]);
  });

  test("a RECORD over its own limit, or past the scan's allowance, gives no paths (findings stay: a false alarm, never a miss)", () => {
    const big = new RecordGatherer("a/x-1.dist-info/RECORD", new RecordBudget());
    big.push(Buffer.alloc(MAX_RECORD_FILE_BYTES, 0x61));
    big.push(Buffer.from("\nx/y.py,,\n"));
    expect(big.end()).toEqual([]);
    const budget = new RecordBudget(30);
    const first = new RecordGatherer("a/x-1.dist-info/RECORD", budget);
    first.push(Buffer.from("x/a.py,,\n"));
    first.push(Buffer.from("x/b.py,,\n"));
    expect(first.end()).toEqual(["a/x/a.py", "a/x/b.py"]);
    const second = new RecordGatherer("a/y-1.dist-info/RECORD", budget);
    second.push(Buffer.from("y/a.py,,\ny/b.py,,\n"));
    expect(second.end()).toEqual([]);
  });

  test("a gathered chunk is copied: the walk reuses its buffer", () => {
    const gatherer = new RecordGatherer("x-1.dist-info/RECORD", new RecordBudget());
    const chunk = Buffer.from("x/a.py,,\n");
    gatherer.push(chunk);
    chunk.fill(0x2c);
    expect(gatherer.end()).toEqual(["x/a.py"]);
  });
});
