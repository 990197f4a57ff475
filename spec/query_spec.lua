-- Specs for arxivdigest.query: the query language parser.
local query = require "arxivdigest.query"
local parse, terms, format = query.parse, query.terms, query.format

-- A copy of `node` without the `col` keys, for structural comparisons.
local function strip (node)
  local out = {}
  for k, v in pairs(node) do
    if k ~= "col" then out[k] = type(v) == "table" and strip(v) or v end
  end
  return out
end

local function p (str) return strip(parse(str)) end

-- Shorthands for expected nodes.
local function term (text, field, prefix)
  return { type = "term", text = text, field = field, prefix = prefix }
end
local function phrase (text, field) return { type = "phrase", text = text, field = field } end
local function AND (...) return { type = "and", ... } end
local function OR (...) return { type = "or", ... } end
local function NOT (x) return { type = "not", x } end
local function date (from, to) return { type = "date", from = from, to = to } end

-- The error message raised by parse(str) (fails the test if it parses).
local function err (str)
  local ok, e = pcall(parse, str)
  assert(not ok, "expected an error for " .. string.format("%q", str))
  return e
end

describe("arxivdigest.query", function ()

  describe("terms and operators", function ()
    it("parses a single term, keeping its case", function ()
      assert.same({ type = "term", text = "NeRF", col = 1 }, parse("NeRF"))
      assert.same({ type = "term", text = "diffusion", col = 3 }, parse("  diffusion  "))
    end)

    it("joins terms with an implicit AND", function ()
      assert.same(AND(term"a", term"b", term"c"), p"a b c")
    end)

    it("accepts explicit AND and OR", function ()
      assert.same(AND(term"a", term"b"), p"a AND b")
      assert.same(OR(term"a", term"b"), p"a OR b")
      assert.same(OR(term"a", term"b", term"c"), p"a OR b OR c")
    end)

    it("treats lowercase and/or/not and words that start with a keyword as terms", function ()
      assert.same(AND(term"a", term"or", term"b", term"and", term"not", term"c"),
                  p"a or b and not c")
      assert.same(AND(term"ANDROID", term"ORacle", term"NOTE"), p"ANDROID ORacle NOTE")
      assert.same(AND(term"NOT-so-fast", term("OR", nil, true)), p"NOT-so-fast OR*")
    end)

    it("negates with NOT and a leading '-'", function ()
      assert.same(NOT(term"survey"), p"NOT survey")
      assert.same(NOT(term"survey"), p"-survey")
      assert.same(AND(term"diffusion", NOT(term"survey")), p"diffusion -survey")
      assert.same(AND(term"diffusion", NOT(term"survey")), p"diffusion NOT survey")
      assert.same(AND(term"diffusion", NOT(term"survey")), p"diffusion AND NOT survey")
      assert.same(NOT(AND(term"a", term"b")), p"-(a b)")
      assert.same(NOT(OR(term"a", term"b")), p"NOT (a OR b)")
      assert.same(NOT(term("x", "ti")), p"-ti:x")
      assert.same(NOT(phrase("a b")), p'-"a b"')
      assert.same(NOT({ type = "cat", value = "cs.LG" }), p"-cat:cs.LG")
      assert.same(NOT(term"a"), p"NOT(a)")
    end)

    it("cancels double negations", function ()
      assert.same(term"a", p"--a")
      assert.same(term"a", p"NOT -a")
      assert.same(term"a", p"-(-a)")
      assert.same(NOT(term"a"), p"---a")
      assert.same(NOT(term"a"), p(("-"):rep(1001) .. "a"))
    end)

    it("keeps a hyphen inside a term: only a leading '-' negates", function ()
      assert.same(term"zero-shot", p"zero-shot")
      assert.same(term"state-of-the-art", p"state-of-the-art")
      assert.same(NOT(term"zero-shot"), p"-zero-shot")
      assert.same(AND(term"few-", term"x-ray"), p"few- x-ray")
      assert.same(AND(term"a", NOT(term"b-c")), p"a -b-c")
    end)

    it("gives NOT precedence over AND over OR", function ()
      assert.same(OR(term"a", AND(term"b", term"c")), p"a OR b c")
      assert.same(OR(AND(term"a", term"b"), term"c"), p"a b OR c")
      assert.same(OR(AND(term"a", term"b"), AND(term"c", term"d")), p"a AND b OR c AND d")
      assert.same(AND(NOT(term"a"), term"b"), p"NOT a b")
      assert.same(OR(NOT(term"a"), term"b"), p"-a OR b")
      assert.same(OR(term"a", AND(NOT(term"b"), term"c")), p"a OR NOT b AND c")
    end)

    it("groups with parentheses, nested, and flattens same-kind groups", function ()
      assert.same(AND(OR(term"a", term"b"), term"c"), p"(a OR b) c")
      assert.same(AND(OR(term"a", term"b"), OR(term"c", AND(term"d", term"e"))),
                  p"(a OR b) (c OR (d e))")
      assert.same(AND(term"a", term"b", term"c"), p"(a b) c")
      assert.same(OR(term"a", term"b", term"c"), p"a OR (b OR c)")
      assert.same(term"a", p"((a))")
      assert.same(AND(term"a", OR(term"b", term"c"), term"d"), p"a(b OR c)d")
      assert.same(OR(term"a", term"b"), p"(a)OR(b)")
    end)

    it("parses phrases: words joined by one space, operators and parentheses literal", function ()
      assert.same(phrase"neural radiance fields", p'"neural radiance fields"')
      assert.same(phrase"a OR (b", p'"  a   OR\t(b "')
      assert.same(phrase"single", p'"single"')
      assert.same(AND(term"foo", phrase"bar baz", term"qux"), p'foo"bar baz"qux')
    end)

    it("parses prefix terms", function ()
      assert.same(term("segment", nil, true), p"segment*")
      assert.same(AND(term("seg", nil, true), term"x"), p"seg* x")
      assert.same(NOT(term("seg", nil, true)), p"-seg*")
      assert.same(term("zero-sh", nil, true), p"zero-sh*")
    end)

    it("treats UTF-8 letters as term characters and Unicode spaces as spaces", function ()
      assert.same(AND(term"über", term"café", term"Müller"), p"über café Müller")
      assert.same(AND(term"深度学习", term"模型"), p"深度学习\u{3000}模型")
      assert.same(AND(term"a", term"b"), p"a\u{00A0}b")
      assert.same(term"–dash", p"–dash")   -- an en dash does not negate
      assert.same(AND(term"C++", term"3:1", term"1.5", term"x_y"), p"C++ 3:1 1.5 x_y")
    end)
  end)

  describe("text fields", function ()
    it("apply ti:, abs:, au:, co: to terms, phrases and prefixes", function ()
      assert.same(term("nerf", "ti"), p"ti:nerf")
      assert.same(phrase("neural radiance", "ti"), p'ti:"neural radiance"')
      assert.same(term("segment", "abs", true), p"abs:segment*")
      assert.same(phrase("Kaiming He", "au"), p'au:"Kaiming He"')
      assert.same(term("He", "au"), p"au:He")
      assert.same(term("Müller", "au"), p"au:Müller")
      assert.same(term("CVPR", "co"), p"co:CVPR")
    end)

    it("accept long aliases and any case for field names", function ()
      assert.same(AND(term("a", "ti"), term("b", "abs"), term("c", "au"), term("d", "co")),
                  p"title:a abstract:b author:c comment:d")
      assert.same(AND(term("x", "ti"), term("y", "ti")), p"TI:x Title:y")
    end)

    it("take keywords and colons literally after the field", function ()
      assert.same(term("OR", "ti"), p"ti:OR")
      assert.same(term("a:b", "ti"), p"ti:a:b")
    end)

    it("distribute over a parenthesised group, inner fields winning", function ()
      assert.same(OR(term("a", "ti"), phrase("b c", "ti")), p'ti:(a OR "b c")')
      assert.same(AND(term("a", "ti"), NOT(term("b", "ti"))), p"ti:(a -b)")
      assert.same(AND(term("a", "ti"), term("b", "abs")), p"ti:(a abs:b)")
      assert.same(AND(term("a", "ti"), { type = "cat", value = "cs.CV" }), p"ti:(a cat:cs.CV)")
      assert.same(NOT(OR(term("a", "au"), term("b", "au"))), p"-au:(a OR b)")
    end)
  end)

  describe("value fields", function ()
    it("cat: and primary:", function ()
      assert.same({ type = "cat", value = "cs.CV" }, p"cat:cs.CV")
      assert.same({ type = "cat", value = "q-bio.NC" }, p"cat:q-bio.NC")
      assert.same({ type = "cat", value = "physics.med-ph" }, p"cat:physics.med-ph")
      assert.same({ type = "cat", value = "68T45" }, p"cat:68T45")
      assert.same({ type = "cat", value = "I.2.10;I.4" }, p"cat:I.2.10;I.4")
      assert.same({ type = "cat", value = "68T45(Primary)68T05" }, p'cat:"68T45(Primary)68T05"')
      assert.same({ type = "primary", value = "eess.IV" }, p"primary:eess.IV")
      assert.same(OR({ type = "cat", value = "cs.CV" }, { type = "cat", value = "cs.LG" }),
                  p"cat:(cs.CV OR cs.LG)")
    end)

    it("id: with or without version, prefix or URL, new and old style", function ()
      local function id (v) return { type = "id", value = v } end
      assert.same(id"2005.09623", p"id:2005.09623")
      assert.same(id"2005.09623", p"id:2005.09623v2")
      assert.same(id"1901.00224", p"id:arXiv:1901.00224v12")
      assert.same(id"0704.0001", p"id:0704.0001")
      assert.same(id"cs/9810003", p"id:cs/9810003")
      assert.same(id"cs/9810003", p"id:cs/9810003v1")
      assert.same(id"hep-th/9901001", p"id:hep-th/9901001v3")
      assert.same(id"math/0309136", p"id:math.GT/0309136")
      assert.same(id"2005.09623", p"id:https://arxiv.org/abs/2005.09623v2")
      assert.same(id"2005.09623", p"id:http://arxiv.org/pdf/2005.09623.pdf")
      assert.same(id"cs/9810003", p"id:https://export.arxiv.org/abs/cs/9810003")
      assert.same(id"2005.09623", p'id:"2005.09623"')
      assert.same(OR(id"2005.09623", id"cs/9810003"), p"id:(2005.09623 OR cs/9810003v2)")
    end)

    it("date: a day, a month, a year, ranges and open ranges", function ()
      assert.same(date("2020-05-01", "2020-05-31"), p"date:2020-05-01..2020-05-31")
      assert.same(date("2020-05-01", "2020-05-01"), p"date:2020-05-01")
      assert.same(date("2020-05-01", "2020-05-31"), p"date:2020-05")
      assert.same(date("2020-01-01", "2020-12-31"), p"date:2020")
      -- month to month: from the first day of the first to the last of the second
      assert.same(date("2020-05-01", "2020-06-30"), p"date:2020-05..2020-06")
      assert.same(date("2019-01-01", "2020-03-15"), p"date:2019..2020-03-15")
      assert.same(date("2020-05-01", "9999-12-31"), p"date:2020-05-01..")
      assert.same(date("2020-05-01", "9999-12-31"), p"date:2020-05..")
      assert.same(date("0000-01-01", "2020-05-31"), p"date:..2020-05-31")
      assert.same(date("0000-01-01", "2020-05-31"), p"date:..2020-05")
      assert.same(date("2020-05-01", "2020-05-01"), p"date:2020-05-01..2020-05-01")
      assert.same(query.MIN_DATE, "0000-01-01")
      assert.same(query.MAX_DATE, "9999-12-31")
    end)

    it("date: months have their real lengths", function ()
      local days2019 = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
      for m, n in ipairs(days2019) do
        local mm = string.format("%02d", m)
        assert.same(date("2019-" .. mm .. "-01", "2019-" .. mm .. "-" .. n), p("date:2019-" .. mm))
        assert.same(date("2019-" .. mm .. "-" .. n, "2019-" .. mm .. "-" .. n),
                    p("date:2019-" .. mm .. "-" .. n))
        assert.equal(("invalid date '2019-%s-%d' at column 6"):format(mm, n + 1),
                     err(("date:2019-%s-%02d"):format(mm, n + 1)))
      end
    end)

    it("date: leap years follow the Gregorian rules", function ()
      assert.same(date("2020-02-01", "2020-02-29"), p"date:2020-02")
      assert.same(date("2000-02-01", "2000-02-29"), p"date:2000-02")
      assert.same(date("2024-02-29", "2024-02-29"), p"date:2024-02-29")
      assert.same(date("1900-02-01", "1900-02-28"), p"date:1900-02")
      assert.same(date("2019-02-01", "2019-02-28"), p"date:2019-02")
      assert.equal("invalid date '2019-02-29' at column 6", err"date:2019-02-29")
      assert.equal("invalid date '1900-02-29' at column 6", err"date:1900-02-29")
      assert.equal("invalid date '2100-02-29' at column 6", err"date:2100-02-29")
    end)

    it("year: a year or a range of years", function ()
      assert.same(date("2019-01-01", "2019-12-31"), p"year:2019")
      assert.same(date("2018-01-01", "2020-12-31"), p"year:2018..2020")
      assert.same(date("2018-01-01", "9999-12-31"), p"year:2018..")
      assert.same(date("0000-01-01", "2018-12-31"), p"year:..2018")
    end)

    it("date: and year: over a group", function ()
      assert.same(OR(date("2020-05-01", "2020-05-31"), date("2021-01-01", "2021-12-31")),
                  p"date:(2020-05 OR 2021)")
      assert.same(NOT(date("2019-01-01", "2019-12-31")), p"-year:(2019)")
    end)

    it("has:", function ()
      assert.same({ type = "has", value = "doi" }, p"has:doi")
      assert.same({ type = "has", value = "journal" }, p"has:journal")
      assert.same({ type = "has", value = "code" }, p"has:code")
      assert.same({ type = "has", value = "code" }, p"has:Code")
    end)

    it("v: exact, minimum and range", function ()
      assert.same({ type = "version", min = 2 }, p"v:2+")
      assert.same({ type = "version", min = 3, max = 3 }, p"v:3")
      assert.same({ type = "version", min = 1, max = 1 }, p"v:1")
      assert.same({ type = "version", min = 2, max = 4 }, p"v:2..4")
      assert.same({ type = "version", min = 12 }, p"v:12+")
    end)
  end)

  describe("the issue's example query", function ()
    it("parses with every node and column", function ()
      local q = 'diffusion AND (segmentation OR detection) -survey au:"Kaiming He" '
             .. 'cat:cs.CV date:2020-05..2020-06'
      assert.same({ type = "and", col = 1,
        { type = "term", text = "diffusion", col = 1 },
        { type = "or", col = 16,
          { type = "term", text = "segmentation", col = 16 },
          { type = "term", text = "detection", col = 32 } },
        { type = "not", col = 43, { type = "term", text = "survey", col = 44 } },
        { type = "phrase", text = "Kaiming He", field = "au", col = 51 },
        { type = "cat", value = "cs.CV", col = 67 },
        { type = "date", from = "2020-05-01", to = "2020-06-30", col = 77 },
      }, parse(q))
      assert.equal('diffusion (segmentation OR detection) -survey au:"Kaiming He" '
                .. 'cat:cs.CV date:2020-05..2020-06', format(parse(q)))
      assert.same({ "diffusion", "segmentation", "detection", "Kaiming He" }, terms(parse(q)))
    end)
  end)

  describe("columns", function ()
    it("are 1-based character columns on every node", function ()
      local ast = parse("a  ti:b -c*")
      assert.same({ 1, 1, 4, 9, 10 }, { ast.col, ast[1].col, ast[2].col, ast[3].col, ast[3][1].col })
    end)

    it("count UTF-8 characters, not bytes", function ()
      local ast = parse("über é -ß")
      assert.same({ 1, 6, 8, 9 }, { ast[1].col, ast[2].col, ast[3].col, ast[3][1].col })
      assert.equal("unbalanced parenthesis at column 8", err"über é (x")
      assert.equal("unknown field 'foo' at column 3", err"é\u{3000}foo:x")
    end)
  end)

  describe("errors", function ()
    local cases = {
      { "", "empty query" },
      { "   \t\n", "empty query" },
      { "\u{3000}", "empty query" },
      { "(a b", "unbalanced parenthesis at column 1" },
      { "diffusion (a OR b", "unbalanced parenthesis at column 11" },
      { "(a (b c)", "unbalanced parenthesis at column 1" },
      { "(a (b c", "unbalanced parenthesis at column 4" },
      { "a b)", "unbalanced parenthesis at column 4" },
      { "(diffusion) x)", "unbalanced parenthesis at column 14" },
      { ")", "unbalanced parenthesis at column 1" },
      { "()", "empty parentheses at column 1" },
      { "a ( ) b", "empty parentheses at column 3" },
      { '"abc', "unterminated phrase at column 1" },
      { 'foo "bar', "unterminated phrase at column 5" },
      { '"a" "b', "unterminated phrase at column 5" },
      { '""', "empty phrase at column 1" },
      { 'a " \t "', "empty phrase at column 3" },
      { "foo:bar", "unknown field 'foo' at column 1" },
      { "a url:x", "unknown field 'url' at column 3" },
      { "https://github.com/x", "unknown field 'https' at column 1" },
      { "foo:", "unknown field 'foo' at column 1" },
      { "ti:", "missing value after 'ti:' at column 1" },
      { "a cat: b", "missing value after 'cat:' at column 3" },
      { "(date:)", "missing value after 'date:' at column 2" },
      { "ti:-x", "a field value cannot start with '-' (write -field:value to exclude) at column 4" },
      { "ti:*", "wildcard '*' must follow a term at column 4" },
      { "date:2020-13", "invalid date '2020-13' at column 6" },
      { "date:2020-00", "invalid date '2020-00' at column 6" },
      { "date:2020-02-30", "invalid date '2020-02-30' at column 6" },
      { "date:2020-5", "invalid date '2020-5' at column 6" },
      { "date:20", "invalid date '20' at column 6" },
      { "date:yesterday", "invalid date 'yesterday' at column 6" },
      { "date:2020-01..2020-13", "invalid date '2020-13' at column 15" },
      { "date:2020-01..2020..2021", "invalid date '2020..2021' at column 15" },
      { "date:2020-06..2020-05", "empty date range '2020-06..2020-05' (start after end) at column 6" },
      { "date:..", "empty date range '..' at column 6" },
      { 'date:"2020-13"', "invalid date '2020-13' at column 6" },
      { "date:(2020 OR 2020-13)", "invalid date '2020-13' at column 15" },
      { "date:(2020*)", "wildcard '*' not allowed in date: values at column 7" },
      { "year:2019-05", "invalid year '2019-05' at column 6" },
      { "year:19", "invalid year '19' at column 6" },
      { "cat:cs*", "invalid category 'cs*' at column 5" },
      { "cat:.cs", "invalid category '.cs' at column 5" },
      { "primary:cs/CV", "invalid category 'cs/CV' at column 9" },
      { "id:123", "invalid arXiv id '123' at column 4" },
      { "id:2013.12345", "invalid arXiv id '2013.12345' at column 4" },
      { "id:2005.096", "invalid arXiv id '2005.096' at column 4" },
      { "id:2005.096231", "invalid arXiv id '2005.096231' at column 4" },
      { "id:cs/981", "invalid arXiv id 'cs/981' at column 4" },
      { "id:2005.09623v", "invalid arXiv id '2005.09623v' at column 4" },
      { "has:pdf", "unknown value 'pdf' for has: (expected doi, journal or code) at column 5" },
      { "v:0", "invalid version '0' (expected N, N+ or N..M) at column 3" },
      { "v:2..1", "invalid version '2..1' (expected N, N+ or N..M) at column 3" },
      { "v:x", "invalid version 'x' (expected N, N+ or N..M) at column 3" },
      { "v:1234", "invalid version '1234' (expected N, N+ or N..M) at column 3" },
      { "NOT", "missing term after NOT at column 1" },
      { "foo AND NOT", "missing term after NOT at column 9" },
      { "a NOT)", "missing term after NOT at column 3" },
      { "NOT OR b", "missing term after NOT at column 1" },
      { "- a", "missing term after '-' at column 1" },
      { "a -", "missing term after '-' at column 3" },
      { "(a -)", "missing term after '-' at column 4" },
      { "OR a", "operator OR without left operand at column 1" },
      { "AND a", "operator AND without left operand at column 1" },
      { "(OR a)", "operator OR without left operand at column 2" },
      { "a OR", "operator OR without right operand at column 3" },
      { "a OR OR b", "operator OR without right operand at column 3" },
      { "a OR AND b", "operator OR without right operand at column 3" },
      { "(a OR) b", "operator OR without right operand at column 4" },
      { "a AND", "operator AND without right operand at column 3" },
      { "a AND OR b", "operator AND without right operand at column 3" },
      { "*", "wildcard '*' must follow a term at column 1" },
      { "a **", "wildcard '*' must follow a term at column 3" },
      { '"a b"*', "wildcard '*' must follow a term at column 6" },
      { "seg*ment", "wildcard '*' is only allowed at the end of a term at column 4" },
      { "seg**", "wildcard '*' is only allowed at the end of a term at column 4" },
      { "a\0b", "invalid control character at column 2" },
      { "é\27[31m", "invalid control character at column 2" },
      { "ab\255", "invalid UTF-8 at column 3" },
      { "é\xC3", "invalid UTF-8 at column 2" },
      { "\xED\xA0\x80", "invalid UTF-8 at column 1" },   -- a UTF-16 surrogate
    }
    for _, c in ipairs(cases) do
      it(string.format("%q -> %s", c[1], c[2]), function ()
        assert.has_error(function () parse(c[1]) end, c[2])
      end)
    end

    it("are raised at level 0 (no position prefix) and match error_matches", function ()
      assert.error_matches(function () parse("(diffusion) x)") end,
                           "^unbalanced parenthesis at column 14$")
      assert.error_matches(function () parse("date:2020-13") end,
                           "^invalid date '2020%-13' at column 6$")
    end)

    it("limit the nesting of parentheses", function ()
      local ok_depth = query.MAX_DEPTH
      local deep = ("a OR -ti:("):rep(ok_depth) .. "x" .. (")"):rep(ok_depth)
      assert.is_table(parse(deep))
      local worst = ("x AND NOT -abs:("):rep(ok_depth) .. "x" .. (")"):rep(ok_depth)
      assert.is_table(parse(worst))
      local too_deep = ("("):rep(ok_depth + 1) .. "x" .. (")"):rep(ok_depth + 1)
      assert.has_error(function () parse(too_deep) end,
        ("too many nested parentheses (at most %d) at column %d"):format(ok_depth, ok_depth + 1))
      assert.has_error(function () parse(("("):rep(100000)) end,
        ("too many nested parentheses (at most %d) at column %d"):format(ok_depth, ok_depth + 1))
      -- parentheses inside phrases do not count
      assert.same(phrase(("("):rep(100)), p('"' .. ("("):rep(100) .. '"'))
    end)

    it("name the argument on misuse", function ()
      assert.has_error(function () parse(nil) end,
                       "bad argument #1 to 'parse' (string expected, got nil)")
      assert.has_error(function () parse({}) end,
                       "bad argument #1 to 'parse' (string expected, got table)")
      assert.error_matches(function () terms("x") end,
                           "bad argument #1 to 'terms' %(table expected, got string%)")
      assert.error_matches(function () format(42) end,
                           "bad argument #1 to 'format' %(table expected, got number%)")
    end)
  end)

  describe("terms()", function ()
    it("lists positive terms and phrases in order, once each", function ()
      assert.same({ "a", "b c", "d", "e" }, terms(parse'a "b c" OR d -x NOT (y z) ti:e a'))
      assert.same({ "seg", "He" }, terms(parse"seg* au:He cat:cs.CV date:2020 has:doi v:2+"))
      assert.same({ "w", "r" }, terms(parse"-(-w) -(q -r)"))
      assert.same({}, terms(parse"-x cat:cs.CV"))
    end)
  end)

  describe("format()", function ()
    local cases = {
      { "a  b", "a b" },
      { "a AND b", "a b" },
      { "a OR b c", "a OR (b c)" },
      { "(a b) OR c", "(a b) OR c" },
      { "(a OR b) c", "(a OR b) c" },
      { "NOT a", "-a" },
      { "NOT (a OR b)", "-(a OR b)" },
      { "-(a b)", "-(a b)" },
      { "-ti:x", "-ti:x" },
      { 'title:"a  b"', 'ti:"a b"' },
      { "ti:(a OR b*)", "ti:a OR ti:b*" },
      { "ti:OR", "ti:OR" },
      { "ti:a:b", "ti:a:b" },
      { "AUTHOR:He", "au:He" },
      { "cat:(cs.CV OR cs.LG)", "cat:cs.CV OR cat:cs.LG" },
      { 'cat:"68T45(Primary)"', 'cat:"68T45(Primary)"' },
      { "id:2005.09623v2", "id:2005.09623" },
      { "id:math.GT/0309136v1", "id:math/0309136" },
      { "date:2020-05-01..2020-05-31", "date:2020-05" },
      { "date:2020-05-01", "date:2020-05-01" },
      { "date:2020-05..2020-06", "date:2020-05..2020-06" },
      { "date:2020-01..2020-12", "date:2020" },
      { "year:2019", "date:2019" },
      { "year:2018..2019", "date:2018..2019" },
      { "date:2019..2020-03-15", "date:2019-01-01..2020-03-15" },
      { "date:2020-05..", "date:2020-05-01.." },
      { "year:..2019", "date:..2019-12-31" },
      { "has:DOI", "has:doi" },
      { "v:2+", "v:2+" },
      { "v:3", "v:3" },
      { "v:2..4", "v:2..4" },
      { "über -zero-shot", "über -zero-shot" },
    }
    for _, c in ipairs(cases) do
      it(string.format("%q -> %q", c[1], c[2]), function ()
        local text = format(parse(c[1]))
        assert.equal(c[2], text)
        assert.same(p(c[1]), p(text))
      end)
    end

    it("writes hand-built ASTs, quoting what would not parse back as a term", function ()
      assert.equal('"a b" "OR" "foo:bar"', format(AND(term"a b", term"OR", term"foo:bar")))
      assert.equal("-(-a)", format(NOT(NOT(term"a"))))
      assert.equal("date:0000..9999", format(date("0000-01-01", "9999-12-31")))
      assert.equal("date:..2020-05-31", format({ type = "date", to = "2020-05-31" }))
      assert.equal("a", format(AND(term"a")))
      assert.has_error(function () format({ type = "bogus" }) end,
                       "format: unknown node type 'bogus'")
      assert.has_error(function () format(phrase'say "hi"') end,
                       'format: cannot write "say \\"hi\\"" as a query phrase')
    end)
  end)

  describe("fuzz", function ()
    local TYPES = { ["and"] = true, ["or"] = true, ["not"] = true, term = true, phrase = true,
                    cat = true, primary = true, id = true, date = true, has = true, version = true }
    local FIELDS = { ti = true, abs = true, au = true, co = true }

    -- Check the AST contract the index relies on; returns the node count.
    local function check (node, len)
      assert.is_true(TYPES[node.type], "bad type " .. tostring(node.type))
      assert.is_true(math.type(node.col) == "integer" and node.col >= 1 and node.col <= len + 1)
      local t, n = node.type, 1
      if t == "and" or t == "or" then
        assert.is_true(#node >= 2)
        for i = 1, #node do
          assert.is_not.equal(t, node[i].type)   -- flattened
          n = n + check(node[i], len)
        end
      elseif t == "not" then
        assert.equal(1, #node)
        assert.is_not.equal("not", node[1].type)
        n = n + check(node[1], len)
      elseif t == "term" or t == "phrase" then
        assert.is_true(type(node.text) == "string" and node.text ~= "")
        assert.is_true(node.field == nil or FIELDS[node.field])
        assert.is_true(node.prefix == nil or (node.prefix == true and t == "term"))
      elseif t == "date" then
        assert.matches("^%d%d%d%d%-%d%d%-%d%d$", node.from)
        assert.matches("^%d%d%d%d%-%d%d%-%d%d$", node.to)
        assert.is_true(node.from <= node.to)
      elseif t == "version" then
        assert.is_true(node.min >= 1 and (node.max == nil or node.max >= node.min))
      else
        assert.is_string(node.value)
      end
      return n
    end

    it("parses or raises a located error for thousands of random queries", function ()
      local alphabet = {
        "a", "b", "x", "é", "深", " ", " ", " ", "\t", "(", ")", '"', "-", "*", ":",
        ".", "..", "+", "AND", "OR", "NOT", " AND ", " OR ", " NOT ", "ti:", "abs:",
        "au:", "co:", "cat:", "primary:", "id:", "date:", "year:", "has:", "v:", "foo:",
        "cs.CV", "2020", "2020-05", "2020-02-29", "2019-02-29", "-13", "2005.09623",
        "v2", "cs/9810003", "doi", "code", "2", "2+", "\u{3000}",
      }
      math.randomseed(20200520)
      local parsed, failed = 0, 0
      for _ = 1, 4000 do
        local parts = {}
        for j = 1, math.random(1, 12) do
          parts[j] = alphabet[math.random(#alphabet)]
        end
        local q = table.concat(parts)
        local ok, ast = pcall(parse, q)
        if ok then
          parsed = parsed + 1
          check(ast, utf8.len(q))
          -- canonical text parses back to the same AST
          local text = format(ast)
          local ok2, again = pcall(parse, text)
          assert(ok2, ("format(parse(%q)) = %q does not parse: %s"):format(q, text, again))
          assert.same(strip(ast), strip(again))
          assert.equal(text, format(again))
          for _, t in ipairs(terms(ast)) do assert.is_string(t) end
        else
          failed = failed + 1
          assert(type(ast) == "string", ("non-string error for %q"):format(q))
          assert(ast == "empty query" or ast:find(" at column %d+$"),
                 ("unlocated error for %q: %s"):format(q, ast))
          assert(not ast:find("lpeg") and not ast:find("%.lua:%d"),
                 ("internal error for %q: %s"):format(q, ast))
        end
      end
      -- the alphabet exercises both outcomes
      assert.is_true(parsed > 400 and failed > 400, ("parsed %d, failed %d"):format(parsed, failed))
    end)

    it("formats random ASTs to text that parses back to the same text", function ()
      local words = { "a", "zero-shot", "über", "深度", "OR", "NOT", "and", "x:y", "-neg",
                      "C++", "3:1", "a b", "seg", "ti:x", "*" }
      local fields = { false, "ti", "abs", "au", "co" }
      local cats = { "cs.CV", "q-bio.NC", "68T45", "68T45(Primary)", "a b" }
      local dates = { { "2020-05-01", "2020-05-31" }, { "2019-01-01", "2020-12-31" },
                      { "2020-02-29", "2020-02-29" }, { "0000-01-01", "2020-01-15" },
                      { "2020-01-15", "9999-12-31" }, { "2019-12-01", "2020-01-31" } }
      local function pick (t) return t[math.random(#t)] end
      local function gen (depth, parent)
        local r = math.random(depth > 3 and 6 or 9)
        if r <= 2 then
          local w = pick(words)
          local prefix = nil
          if math.random(4) == 1 and w:find("^[%w][%w%-]*$") then prefix = true end
          return { type = "term", text = w, field = pick(fields) or nil, prefix = prefix }
        elseif r == 3 then
          return { type = "phrase", text = pick(words) .. " " .. pick(words),
                   field = pick(fields) or nil }
        elseif r == 4 then
          local t = pick{ "cat", "primary" }
          return { type = t, value = pick(cats) }
        elseif r == 5 then
          local d = pick(dates)
          return { type = "date", from = d[1], to = d[2] }
        elseif r == 6 then
          return pick{ { type = "has", value = "code" }, { type = "version", min = 2 },
                       { type = "version", min = 1, max = 3 }, { type = "id", value = "cs/9810003" } }
        elseif r == 7 and parent ~= "not" then
          return { type = "not", gen(depth + 1, "not") }
        else
          local node = { type = pick{ "and", "or" } }
          for i = 1, math.random(2, 4) do node[i] = gen(depth + 1, node.type) end
          return node
        end
      end
      math.randomseed(42)
      for _ = 1, 2000 do
        local ast = gen(0)
        local text = format(ast)
        local ok, again = pcall(parse, text)
        assert(ok, ("format gave %q, which does not parse: %s"):format(text, tostring(again)))
        assert.equal(text, format(again))
      end
    end)

    it("survives random bytes and long inputs", function ()
      math.randomseed(7)
      for _ = 1, 1000 do
        local bytes = {}
        for j = 1, math.random(0, 20) do bytes[j] = string.char(math.random(0, 255)) end
        local q = table.concat(bytes)
        local ok, e = pcall(parse, q)
        if not ok then
          assert(type(e) == "string" and (e == "empty query" or e:find(" at column %d+$")),
                 ("bad error for %q: %s"):format(q, tostring(e)))
        end
      end
      local long = ("word "):rep(20000)
      assert.equal(20000, #parse(long))
      assert.equal(40000, #parse(("a OR "):rep(40000) .. "b") - 1)
      assert.has_error(function () parse(("a OR "):rep(1000)) end,
                       "operator OR without right operand at column 4998")
    end)
  end)
end)
