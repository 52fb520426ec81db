#!/usr/bin/env python3
"""Writes the malformed-CSV corpus and cases.tsv in this folder.

Run from anywhere: python3 tests/data/bad/make_corpus.py
Every expected line number is counted here, by the writer, from the bytes it writes
(header = line 1), never copied from mlloop's output.
"""
import gzip
import os

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "tests/data/bad/"
CITIES = ["Paris", "Lyon", "Nice", "Lille", "Brest", "Dijon"]
HEADER = ["id", "age", "income", "city", "label"]

cases = []  # (file, target, extra_args, exit_code, line, must_contain)


def row(i, label=None):
    """A good 5-field row. label alternates yes/no so both classes have >= 5 rows."""
    if label is None:
        label = "yes" if i % 2 == 0 else "no"
    return [str(i), str(20 + (i * 7) % 45), str(1000 + i * 137), CITIES[i % len(CITIES)], label]


def write(name, data):
    assert isinstance(data, bytes)
    assert len(data) < 5000, (name, len(data))
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


class Lines:
    """Builds a text file line by line and counts physical lines (1-based)."""

    def __init__(self, eol="\n", delim=","):
        self.parts = []
        self.line = 0  # number of the last physical line started
        self.eol = eol
        self.delim = delim

    def add(self, fields_or_text):
        text = fields_or_text if isinstance(fields_or_text, str) else self.delim.join(fields_or_text)
        self.line += 1
        start = self.line
        self.line += text.count("\n")  # embedded newlines inside quoted fields
        self.parts.append(text)
        return start  # physical line where this record starts

    def bytes(self, trailing_eol=True, prefix=b"", encoding="utf-8"):
        body = self.eol.join(self.parts) + (self.eol if trailing_eol else "")
        return prefix + body.encode(encoding)


def case(file, target="label", extra="-", line=0, must="", code=2):
    cases.append((file, target, extra, str(code), str(line), must))


def good_file(n=30, **kw):
    f = Lines(**kw)
    f.add(HEADER)
    for i in range(1, n + 1):
        f.add(row(i))
    return f


# ---------------------------------------------------------------- ragged rows
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i) + ["extra"] if i == 16 else row(i))
    if i == 16: bad = ln
write("ragged_mid_too_many.csv", f.bytes())
case("ragged_mid_too_many.csv", line=bad, must="has 6 fields")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i)[:4] if i == 11 else row(i))
    if i == 11: bad = ln
write("ragged_mid_too_few.csv", f.bytes())
case("ragged_mid_too_few.csv", line=bad, must="has 4 fields")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i)[:4] if i == 30 else row(i))
write("ragged_last_too_few_no_eol.csv", f.bytes(trailing_eol=False))
case("ragged_last_too_few_no_eol.csv", line=ln, must="has 4 fields")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i) + ["7"] if i == 30 else row(i))
write("ragged_last_too_many_no_eol.csv", f.bytes(trailing_eol=False))
case("ragged_last_too_many_no_eol.csv", line=ln, must="has 6 fields")

# A single field row (user pasted a note into the file).
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    ln = f.add("exported by the finance team" if i == 21 else row(i))
    if i == 21: bad = ln
write("ragged_one_field_row.csv", f.bytes())
case("ragged_one_field_row.csv", line=bad, must="has 1 field")

# ----------------------------------------------------------- unterminated quote
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 30:
        r[3] = '"Saint-Malo'
    ln = f.add(r)
write("unterminated_quote_last_line.csv", f.bytes())
case("unterminated_quote_last_line.csv", line=ln, must="unterminated quote")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 25:
        r[3] = '"Saint-Malo'  # opens here; the 5 lines below are swallowed
        bad = f.add(r)
    else:
        f.add(r)
write("unterminated_quote_opens_early.csv", f.bytes())
case("unterminated_quote_opens_early.csv", line=bad, must="unterminated quote")
case("unterminated_quote_opens_early.csv", extra="--on-bad-rows skip", line=bad, must="unterminated quote")

f = Lines(); f.add('id,"age,income,city,label')
for i in range(1, 31):
    f.add(row(i))
write("unterminated_quote_header.csv", f.bytes())
case("unterminated_quote_header.csv", line=1, must="unterminated quote")

# -------------------------------------------------------- text after the quote
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 9:
        r[3] = '"abc"x'
        bad = f.add(r)
    else:
        f.add(r)
write("text_after_quote.csv", f.bytes())
case("text_after_quote.csv", line=bad, must="after the closing quote")

# ---------------------------------------------------------------- invalid UTF-8
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 2:
        r[3] = "Jos\udce9"  # surrogateescape -> raw byte 0xE9
        bad = f.add(r)
    else:
        f.add(r)
write("invalid_utf8_latin1_name.csv",
      (f.eol.join(f.parts) + "\n").encode("utf-8", "surrogateescape"))
case("invalid_utf8_latin1_name.csv", line=bad, must="invalid UTF-8")

f = Lines(); f.add(["id", "age", "income", "cit\udce9", "label"])
for i in range(1, 31):
    f.add(row(i))
write("invalid_utf8_header.csv", (f.eol.join(f.parts) + "\n").encode("utf-8", "surrogateescape"))
case("invalid_utf8_header.csv", line=1, must="invalid UTF-8")

# A UTF-8 sequence cut off at the very end of the file ("Bréa" truncated to 0xC3).
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i)[:3] + ["Br\udcc3", "no"] if i == 30 else row(i))
write("invalid_utf8_truncated_at_eof.csv", (f.eol.join(f.parts)).encode("utf-8", "surrogateescape"))
case("invalid_utf8_truncated_at_eof.csv", line=ln, must="invalid UTF-8")

# ------------------------------------------------------------- binary content
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 4:
        r[3] = "Li\x00lle"
        bad = f.add(r)
    else:
        f.add(r)
write("nul_byte_in_field.csv", f.bytes())
case("nul_byte_in_field.csv", line=bad, must="binary")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 27:
        r[2] = "\x00\x00\x00\x00"
        bad = f.add(r)
    else:
        f.add(r)
write("nul_bytes_late.csv", f.bytes())
case("nul_bytes_late.csv", line=bad, must="binary")

gz = gzip.compress(good_file().bytes(), mtime=0)
assert gz[3] == 0 and b"\n" not in gz[:3]  # first NUL (FLG byte) is on line 1
write("gzip_file.csv", gz)
case("gzip_file.csv", line=1, must="binary")

# PNG signature: 89 50 4E 47 0D 0A 1A 0A, then the IHDR chunk length 00 00 00 0D.
png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"
       b"\x90\x91h6\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
# first NUL is byte 8; two '\n' bytes (offsets 5 and 7) come before it -> physical line 3
assert png.index(b"\x00") == 8 and png[:8].count(b"\n") == 2
write("png_image.csv", png)
case("png_image.csv", line=3, must="binary")

# ------------------------------------------------------------------- UTF-16
write("utf16le_bom.csv", good_file().bytes(encoding="utf-16"))  # python writes FF FE + LE
assert open(os.path.join(HERE, "utf16le_bom.csv"), "rb").read(2) == b"\xff\xfe"
case("utf16le_bom.csv", line=1, must="UTF-16")
write("utf16be_bom.csv", b"\xfe\xff" + good_file().bytes(encoding="utf-16-be"))
case("utf16be_bom.csv", line=1, must="UTF-16")
# No BOM: every other byte is NUL. Saying "binary" here sends the user the wrong way.
write("utf16le_no_bom.csv", good_file().bytes(encoding="utf-16-le"))
case("utf16le_no_bom.csv", line=0, must="UTF-16")

# ------------------------------------------------------------------ empty-ish
write("empty.csv", b"")
case("empty.csv", line=0, must="empty")
write("only_blank_lines.csv", b"\n\n\n\n")
case("only_blank_lines.csv", line=0, must="empty")
write("only_blank_lines_crlf_spaces.csv", b"\r\n   \r\n\t\r\n\r\n")
case("only_blank_lines_crlf_spaces.csv", line=0, must="empty")
write("header_only.csv", (",".join(HEADER) + "\n").encode())
case("header_only.csv", line=1, must="no data rows")
write("header_only_no_eol.csv", ",".join(HEADER).encode())
case("header_only_no_eol.csv", line=1, must="no data rows")
write("header_then_blank_lines.csv", (",".join(HEADER) + "\n\n\n\n").encode())
case("header_then_blank_lines.csv", line=1, must="no data rows")

# ------------------------------------------------- valid file, bad arguments
write("valid_yes_no.csv", good_file().bytes())
case("valid_yes_no.csv", target="lable", line=1, must="not in")
case("valid_yes_no.csv", target="lable", line=1, must="did you mean --target label")
case("valid_yes_no.csv", target="Label", line=1, must="not in")
case("valid_yes_no.csv", extra="--task regression", line=2, must="not numeric")
case("valid_yes_no.csv", extra="--metric rmse", line=0, must="does not fit")
case("valid_yes_no.csv", extra="--metric error --reference-error 1.5", line=0, must="out of range")
case("valid_yes_no.csv", extra="--goal -1", line=0, must="out of range")
case("valid_yes_no.csv", extra="--split group:cty", line=0, must="not in")
case("valid_yes_no.csv", extra="--split group:label", line=0, must="cannot split by the target")
case("valid_yes_no.csv", extra="--split kfold", line=0, must="unknown split")
# city holds text: the first row (line 2) has "Lyon"
case("valid_yes_no.csv", extra="--split time:city", line=2, must="neither a number nor a date")

f = Lines(); f.add(["id", "x1", "x2", "price"])
for i in range(1, 31):
    f.add([str(i), str(i * 3 % 11), str(i * 5 % 13), str(100 + i * 17 % 41) + ".5"])
write("valid_regression.csv", f.bytes())
case("valid_regression.csv", target="price", extra="--metric auc", line=0, must="does not fit")
case("valid_regression.csv", target="price", extra="--reference-error -0.5", line=0, must="out of range")

# ------------------------------------------------------------ target problems
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    f.add(row(i, "yes"))
write("constant_target.csv", f.bytes())
case("constant_target.csv", line=2, must="constant")

f = Lines(); f.add(["id", "x", "score"])
for i in range(1, 31):
    f.add([str(i), str(i * 7 % 10), "4"])
write("constant_target_numeric.csv", f.bytes())
case("constant_target_numeric.csv", target="score", line=2, must="constant")

f = Lines(); f.add(HEADER)
labels = ["a"] * 15 + ["b"] * 14
labels.insert(19, "c")  # data row 20 -> physical line 21
for i, lab in enumerate(labels, 1):
    ln = f.add(row(i, lab))
    if lab == "c": bad = ln
write("singleton_class.csv", f.bytes())
case("singleton_class.csv", line=bad, must="only 1 row")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    f.add(row(i, "abc"[i % 3]))
write("three_classes.csv", f.bytes())
case("three_classes.csv", extra="--task binary", line=0, must="exactly 2 classes")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 13:
        r[4] = ""
        bad = f.add(r)
    else:
        f.add(r)
write("missing_target_empty.csv", f.bytes())
case("missing_target_empty.csv", extra="--on-missing-target error", line=bad, must="missing")

f = Lines(); f.add(HEADER)
first = None
for i in range(1, 31):
    r = row(i)
    if i in (8, 19):
        r[4] = "NA"
        ln = f.add(r)
        first = first or ln
    else:
        f.add(r)
write("missing_target_na_marker.csv", f.bytes())
case("missing_target_na_marker.csv", extra="--on-missing-target error", line=first, must="missing")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i)[:4] + [""] if i == 30 else row(i))
write("missing_target_last_line_no_eol.csv", f.bytes(trailing_eol=False))
case("missing_target_last_line_no_eol.csv", extra="--on-missing-target error", line=ln, must="missing")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    f.add(row(i)[:4] + [""])
write("all_targets_missing.csv", f.bytes())
case("all_targets_missing.csv", line=0, must="missing")

# ----------------------------------------------------------------- header
f = Lines(); f.add(["id", "age", "income", "age", "label"])
for i in range(1, 31):
    f.add(row(i))
write("duplicate_column.csv", f.bytes())
case("duplicate_column.csv", line=1, must="duplicate column")

f = Lines(); f.add(["id", "label", "income", "city", "label"])
for i in range(1, 31):
    r = row(i)
    r[1] = "yes" if i % 3 else "no"
    f.add(r)
write("duplicate_target_column.csv", f.bytes())
case("duplicate_target_column.csv", line=1, must="duplicate column")

# Header ends with a delimiter (6 names, the last empty); rows have 5 fields.
f = Lines(); f.add(",".join(HEADER) + ",")
for i in range(1, 31):
    f.add(row(i))
write("header_trailing_delimiter.csv", f.bytes())
case("header_trailing_delimiter.csv", line=2, must="has 5 fields")

# Rows end with a delimiter (6 fields), header does not.
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    f.add(",".join(row(i)) + ",")
write("rows_trailing_delimiter.csv", f.bytes())
case("rows_trailing_delimiter.csv", line=2, must="has 6 fields")

# --------------------------------------------------------------- too few rows
f = good_file(8)
write("too_few_rows_8.csv", f.bytes())
case("too_few_rows_8.csv", line=0, must="at least 20")
f = good_file(19)
write("too_few_rows_19.csv", f.bytes())
case("too_few_rows_19.csv", line=0, must="at least 20")

# 25 rows, 6 of them ragged: skipping them leaves 19, below the minimum.
f = Lines(); f.add(HEADER)
for i in range(1, 26):
    f.add(row(i) + ["x"] if i % 4 == 0 else row(i))
assert sum(1 for i in range(1, 26) if i % 4 != 0) == 19
write("ragged_skip_leaves_too_few.csv", f.bytes())
case("ragged_skip_leaves_too_few.csv", extra="--on-bad-rows skip", line=0, must="at least 20")

# ------------------------------------------------- dialect / line counting
f = Lines(eol="\r\n"); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i) + ["9"] if i == 17 else row(i))
    if i == 17: bad = ln
write("crlf_ragged.csv", f.bytes())
case("crlf_ragged.csv", line=bad, must="has 6 fields")

f = Lines(delim=";"); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i)[:4] if i == 21 else row(i))
    if i == 21: bad = ln
write("semicolon_ragged.csv", f.bytes())
case("semicolon_ragged.csv", line=bad, must="has 4 fields")

f = Lines(delim="\t"); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(",".join(row(i)) if i == 14 else row(i))
    if i == 14: bad = ln
write("tab_with_comma_row.csv", f.bytes())
case("tab_with_comma_row.csv", line=bad, must="has 1 field")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 3:
        r[3] = '"New\nYork"'  # one embedded newline
    if i == 7:
        r[3] = '"Rue de la Paix\n12\nParis"'  # two embedded newlines
    ln = f.add(r + ["oops"] if i == 20 else r)
    if i == 20: bad = ln
assert bad == 24  # 1 header + 19 rows + 3 embedded newlines + 1
write("embedded_newline_then_ragged.csv", f.bytes())
case("embedded_newline_then_ragged.csv", line=bad, must="has 6 fields")

f = Lines(eol="\r\n"); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 5:
        r[3] = '"Aix\r\nen Provence"'
    ln = f.add(r[:3] if i == 12 else r)
    if i == 12: bad = ln
assert bad == 14
write("crlf_embedded_newline_then_ragged.csv", f.bytes())
case("crlf_embedded_newline_then_ragged.csv", line=bad, must="has 3 fields")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i)[:4] if i == 8 else row(i))
    if i == 8: bad = ln
write("bom_ragged.csv", f.bytes(prefix=b"\xef\xbb\xbf"))
case("bom_ragged.csv", line=bad, must="has 4 fields")

# Blank lines in the middle still count as physical lines.
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    if i in (5, 6, 15):
        f.add("")
    ln = f.add(row(i) + ["1"] if i == 22 else row(i))
    if i == 22: bad = ln
assert bad == 26
write("blank_lines_then_ragged.csv", f.bytes())
case("blank_lines_then_ragged.csv", line=bad, must="has 6 fields")

# ---------------------------------------------------------------- split columns
f = Lines(); f.add(["id", "day", "amount", "label"])
for i in range(1, 31):
    day = "2023-%02d-%02d" % (1 + i // 28, 1 + i % 28)
    if i == 12:
        day = "soon"
        bad = f.add([str(i), day, str(i * 13), "yes" if i % 2 else "no"])
    else:
        f.add([str(i), day, str(i * 13), "yes" if i % 2 else "no"])
write("time_column_with_text.csv", f.bytes())
case("time_column_with_text.csv", extra="--split time:day", line=bad, must="neither a number nor a date")

f = Lines(); f.add(["id", "day", "amount", "label"])
for i in range(1, 31):
    day = "" if i == 9 else "2023-01-%02d" % i
    ln = f.add([str(i), day, str(i * 13), "yes" if i % 2 else "no"])
    if i == 9: bad = ln
write("time_column_missing_value.csv", f.bytes())
case("time_column_missing_value.csv", extra="--split time:day", line=bad, must="missing")

f = Lines(); f.add(["id", "store", "amount", "label"])
for i in range(1, 31):
    f.add([str(i), "A" if i <= 15 else "B", str(i * 13), "yes" if i % 2 else "no"])
write("group_column_two_groups.csv", f.bytes())
case("group_column_two_groups.csv", extra="--split group:store", line=0, must="only 2 distinct groups")

# ------------------------------------------------------- separate dev file
f = Lines(); f.add(["id", "age", "city", "label"])
for i in range(1, 11):
    r = row(i)
    f.add([r[0], r[1], r[3], r[4]])
write("dev_missing_column.csv", f.bytes())
case("valid_yes_no.csv", extra="--dev-data tests/data/bad/dev_missing_column.csv", line=0,
     must="tests/data/bad/dev_missing_column.csv:1")

# ------------------------------------------- more line-counting / dialect cases
# Blank lines before the header count too.
f = Lines(); f.add(""); f.add(""); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i) + ["zz"] if i == 14 else row(i))
    if i == 14: bad = ln
assert bad == 17
write("blank_lines_before_header_ragged.csv", f.bytes())
case("blank_lines_before_header_ragged.csv", line=bad, must="has 6 fields")

# Old-Mac / Excel "CSV (Macintosh)": CR-only line ends, with a ragged row.
f = Lines(eol="\r"); f.add(HEADER)
for i in range(1, 31):
    ln = f.add(row(i) + ["q"] if i == 10 else row(i))
    if i == 10: bad = ln
write("cr_only_line_ends_ragged.csv", f.bytes())
case("cr_only_line_ends_ragged.csv", line=bad, must="has 6 fields")

# Only spaces on the lines: as empty as a file of blank lines.
write("only_spaces.csv", b"   \n   \n")
case("only_spaces.csv", line=0, must="empty")

# CRLF file whose quote never closes.
f = Lines(eol="\r\n"); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 20:
        r[3] = '"' + r[3]
        bad = f.add(r)
    else:
        f.add(r)
write("crlf_unterminated_quote.csv", f.bytes())
case("crlf_unterminated_quote.csv", line=bad, must="unterminated quote")

# Embedded newlines before the fault, for each kind of row-level error.
f = Lines(); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 3: r[3] = '"Ni\nce"'
    if i == 11: r[4] = ""
    ln = f.add(r)
    if i == 11: bad = ln
assert bad == 13
write("embedded_newline_then_missing_target.csv", f.bytes())
case("embedded_newline_then_missing_target.csv", extra="--on-missing-target error", line=bad, must="missing")

f = Lines(); f.add(HEADER)
labels = ["a"] * 15 + ["b"] * 14
labels.insert(19, "c")
for i, lab in enumerate(labels, 1):
    r = row(i, lab)
    if i == 2: r[3] = '"N\nice"'
    if i == 5: f.add("")
    ln = f.add(r)
    if lab == "c": bad = ln
assert bad == 23
write("embedded_newline_then_singleton_class.csv", f.bytes())
case("embedded_newline_then_singleton_class.csv", line=bad, must="only 1 row")

f = Lines(); f.add(HEADER)
for i in range(1, 31):
    r = row(i)
    if i == 3: r[3] = '"Li\nlle"'
    if i == 6: r[3] = "Par\udce9s"
    ln = f.add(r)
    if i == 6: bad = ln
assert bad == 8
write("embedded_newline_then_invalid_utf8.csv", (f.eol.join(f.parts) + "\n").encode("utf-8", "surrogateescape"))
case("embedded_newline_then_invalid_utf8.csv", line=bad, must="invalid UTF-8")

# --seed is unsigned: a negative seed must be refused, not wrapped.
case("valid_yes_no.csv", extra="--seed -1", line=0, must="seed")

with open(os.path.join(HERE, "cases.tsv"), "w") as out:
    out.write("file\ttarget\textra_args\texit_code\tline\tmust_contain\n")
    for c in cases:
        assert all("\t" not in x and "\n" not in x for x in c), c
        out.write("\t".join(c) + "\n")
print(f"{len(cases)} cases")
