-- The BibTeX export (issue 11 F10, issue 12): TeX safety as a property of
-- the output text (the real TeX run is spec/format_tex_spec.lua), case
-- protection, collaboration authors, @article for journal DOIs.
local format = require "arxivdigest.format"
local bibtex = require "arxivdigest.format.bibtex"

-- Fields of a rendered .bib (one entry): name -> value, and the entry type.
local function entry(s)
  local kind, key = s:match("^@(%a+){([^,]*),\n")
  assert(kind, "no entry in:\n" .. s)
  local fields, order = {}, {}
  for line in s:gmatch("[^\n]+") do
    local name, value = line:match("^  (%a+)%s*= {(.*)},$")
    if name then
      fields[name] = value
      order[#order + 1] = name
    end
  end
  return { kind = kind, key = key, fields = fields, order = order }
end

local function render1(p, opts)
  return entry(format.render({ p }, "bibtex", opts))
end

-- Control sequences the output may contain: the escapes the writer makes,
-- accents and letters it keeps, and the math allow-list.
local TEXT_CS = {}
for w in ([[textbackslash textbraceleft textbraceright textasciitilde textasciicircum u v H c d b r k t
  i j o O l L ss aa AA ae AE oe OE]]):gmatch("%a+") do TEXT_CS[w] = true end
local SYMBOLS = "'`\"^~=.%&_#${},;:! |"

local function check_tex(v, what)
  assert.is_nil(v:find("^^", 1, true), what .. ": ^^ in " .. v)
  local i = 1
  while true do
    i = v:find("\\", i, true)
    if not i then break end
    local name = v:match("^%a+", i + 1)
    if name then
      assert.is_true(TEXT_CS[name] or bibtex.MATH_OK[name] or false, what .. ": \\" .. name .. " in " .. v)
      i = i + 1 + #name
    else
      local c = v:sub(i + 1, i + 1)
      assert.truthy(c ~= "" and SYMBOLS:find(c, 1, true), what .. ": \\" .. c .. " in " .. v)
      i = i + 2
    end
  end
  -- unescaped $ pair up, so math mode never runs into the next field
  local dollars = 0
  for pre in v:gmatch("(.?)%$") do if pre ~= "\\" then dollars = dollars + 1 end end
  assert.are.equal(0, dollars % 2, what .. ": odd $ in " .. v)
  local depth = 0
  for c in v:gmatch("[{}]") do
    depth = depth + (c == "{" and 1 or -1)
    assert.is_true(depth >= 0, what .. ": unbalanced " .. v)
  end
  assert.are.equal(0, depth, what .. ": unbalanced " .. v)
end

describe("bibtex TeX safety", function()
  local T = dofile("spec/fixtures/format/tex.lua")

  it("writes only allowed control sequences, in every field, for every payload", function()
    local out = format.render(T.hostile, "bibtex", { abstract = true, comment = true })
    local n = 0
    for body in out:gmatch("@%a+(%b{})") do
      for line in body:gmatch("[^\n]+") do
        local name, value = line:match("^  (%a+)%s*= {(.*)},$")
        if name then
          check_tex(value, name)
          n = n + 1
        end
      end
    end
    assert.is_true(n >= #T.hostile * 10)
  end)

  it("holds for random mixes of TeX specials and commands", function()
    local TOKENS = { "\\input", "\\", "{", "}", "$", "^", "^^5c", "%", "#", "&", "@", "\\'", "\\c", "\\^", "e", " ",
      "\\alpha", "\\csname", "x", "\\i", "~", "_", "\\\\", "\\$", "\\%", "\\{", "\\}", "\\text", "\\catcode", "`",
      "\\'{", "\\v ", "and", ",", "\\o", "\\ss", "\\write18", "A", "Ne", "RF", "-" }
    math.randomseed(12)
    for _ = 1, 1500 do
      local parts = {}
      for k = 1, math.random(1, 14) do parts[k] = TOKENS[math.random(#TOKENS)] end
      local s = table.concat(parts)
      local e = render1({ id = "2101.00001", title = s, authors = { s, "B C" }, abstract = s, comment = s,
        journal = s, doi = "10.1234/" .. s, primary_category = s, date = "2021-01-01" },
        { abstract = true, comment = true })
      for name, value in pairs(e.fields) do check_tex(value, name .. " of " .. s) end
    end
  end)

  it("keeps safe math and accents, and escapes the rest readably", function()
    assert.are.equal("$x^2$ and $\\alpha$ caf{\\'e} na{\\\"i}ve gar{\\c{c}}on {\\v{s}} {\\'\\i} {\\ss} 100\\% C\\&W",
      bibtex.escape("$x^2$ and $\\alpha$ caf\\'e na\\\"{i}ve gar\\c con \\v{s} \\'{\\i} \\ss{} 100\\% C\\&W"))
    assert.are.equal("\\$\\textbackslash{}input\\{/etc/hostname\\}\\$", bibtex.escape("$\\input{/etc/hostname}$"))
    assert.are.equal("\\$\\textasciicircum{}\\textasciicircum{}5cinput\\{x\\}\\$", bibtex.escape("$^^5cinput{x}$"))
    assert.are.equal("\\$\\textbackslash{}csname input\\textbackslash{}endcsname\\$",
      bibtex.escape("$\\csname input\\endcsname$"))
    -- an unknown (even harmless) command: the whole span is text
    assert.are.equal("\\$\\textbackslash{}unicode\\{x\\}\\$", bibtex.escape("$\\unicode{x}$"))
    -- a bare % # & in math is escaped
    assert.are.equal("$50\\% \\# a \\& b$", bibtex.escape("$50% # a & b$"))
    -- an accent or TeX letter in a group of its own, as arXiv metadata writes
    -- them (482 in the ten-year archive: Qu{\'e}bec, K{\l}opotek): kept as
    -- that group, not \{{\'e}\} (LaTeX would print the braces)
    assert.are.equal("Qu{\\'e}bec K{\\l}opotek Aspl{\\\"u}nd {\\ss} {\\'e} {\\c{c}}",
      bibtex.escape("Qu{\\'e}bec K{\\l}opotek Aspl{\\\"u}nd {\\ss} {\\'{e}} {\\c c}"))
    -- any other group is still escaped; an unpaired brace still written out
    assert.are.equal("\\{\\%\\} \\{\\textbackslash{}input\\{x\\}\\} \\{{\\\"o}\\} \\textbraceleft{}{\\\"o}",
      bibtex.escape("{\\%} {\\input{x}} {{\\\"o}} {\\\"o"))
    assert.are.equal("10.1007/978-3-030-58595-2_13", bibtex.clean_doi("10.1007/978-3-030-58595-2_13"))
    assert.are.equal("10.1234/x5cinputsecret", bibtex.clean_doi("10.1234/x^^5cinput{secret}"))
  end)

  it("keeps a name's 'and' and 'others' from splitting the author list", function()
    local e = render1({ id = "2101.00001", title = "T", authors = { "Ann AND Bob", "others", "Cy Dee" } })
    assert.are.equal("Ann {AND} Bob and {others} and Cy Dee", e.fields.author)
  end)

  it("folds TeX accents in keys", function()
    assert.are.equal("muller2021harmless",
      render1({ id = "2101.00001", title = "Harmless", authors = { "Jos\\'e M\\\"uller" }, date = "2021-01-01" }).key)
  end)
end)

describe("bibtex as reference managers write it (issue 12)", function()
  it("braces only the words that must keep their case, not capitalised hyphenated words", function()
    local e = render1({ id = "2101.00001", authors = { "A B" },
      title = "Self-Supervised Vision-Language Pre-Training of NeRF, Mip-NeRF and 3D CNNs on RGB-D "
        .. "ImageNet with CLIP-Guided U-Net, GPT-4, X-ray and $\\Delta$ or $x^2$" })
    assert.are.equal("Self-Supervised Vision-Language Pre-Training of {NeRF}, Mip-{NeRF} and {3D} {CNNs} on {RGB-D} "
      .. "{ImageNet} with {CLIP}-Guided U-Net, {GPT}-4, X-ray and {$\\Delta$} or $x^2$", e.fields.title)
    -- other fields are not case-protected
    local j = render1({ id = "2101.00001", title = "T", authors = { "A B" }, journal = "IEEE TPAMI" })
    assert.are.equal("IEEE TPAMI", j.fields.note)
  end)

  it("braces collaboration, consortium, group and team authors as one name", function()
    local e = render1({ id = "2101.00001", title = "Euclid preparation", date = "2021-01-01",
      authors = { "Euclid Collaboration", "A. Author", "The LSST Dark Energy Science Collaboration",
        "POLCOVID Study Group", "The DeepRadiology Team", "SUMMIT consortium", "Li Chen" } })
    assert.are.equal("{Euclid Collaboration} and A. Author and {The LSST Dark Energy Science Collaboration} and "
      .. "{POLCOVID Study Group} and {The DeepRadiology Team} and {SUMMIT consortium} and Li Chen", e.fields.author)
    assert.are.equal("euclid2021euclid", e.key)
  end)

  it("makes a paper with a journal DOI an @article, keeping the e-print fields", function()
    local p = { id = "1910.08681", version = 4, title = "SPARK", authors = { "Qing Guo" },
      primary_category = "cs.CV", date = "2019-10-19", doi = "10.1007/978-3-030-58595-2_13", journal = "ECCV 2020" }
    local e = render1(p)
    assert.are.equal("article", e.kind)
    assert.are.same({ "title", "author", "journal", "year", "eprint", "archivePrefix", "primaryClass", "doi", "url" },
      e.order)
    assert.are.equal("ECCV 2020", e.fields.journal)
    assert.are.equal("10.1007/978-3-030-58595-2_13", e.fields.doi)
    assert.are.equal("1910.08681", e.fields.eprint)
    assert.are.equal("arXiv", e.fields.archivePrefix)
    assert.are.equal("cs.CV", e.fields.primaryClass)
    -- arXiv's own DOI, no DOI, or no journal-ref: an e-print (@misc)
    p.doi = "10.48550/arXiv.1910.08681"
    assert.are.equal("misc", render1(p).kind)
    assert.are.equal("ECCV 2020", render1(p).fields.note)
    p.doi = nil
    assert.are.equal("misc", render1(p).kind)
    assert.are.equal("10.48550/arXiv.1910.08681", render1(p).fields.doi)
    p.doi, p.journal = "10.1109/CVPR.2020.00123", nil
    local m = render1(p)
    assert.are.equal("misc", m.kind)
    assert.are.equal("10.1109/CVPR.2020.00123", m.fields.doi)
  end)
end)
