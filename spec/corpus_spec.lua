-- Parses the whole real 2019 catalog year shipped in ../shared (when present).
local ad = require "arxivdigest"

local CORPUS = os.getenv("ARXIVDIGEST_CORPUS") or "../shared/corpus/cs.CV-2019"

local function exists(path)
  local f = io.open(path .. "/01/20190101.md", "rb")
  if f then f:close() return true end
  return false
end

describe("the 2019 cs.CV corpus", function()
  if not exists(CORPUS) then
    pending("corpus not found at " .. CORPUS .. " (set ARXIVDIGEST_CORPUS): skipped")
    return
  end

  it("parses every record with id, title, authors, abstract and date", function()
    local c = assert(ad.open(CORPUS))
    assert.is_true(#c >= 11000, "only " .. #c .. " records")
    assert.are.same({}, c:warnings())
    local bad = {}
    for p in c:papers() do
      if not (p.id and p.title and #p.authors > 0 and p.abstract and p.date) then
        bad[#bad + 1] = p.source .. ":" .. p.line
      end
    end
    assert.are.same({}, bad)
    -- every catalog record carries its published stamp and its category list
    local n = 0
    for p in c:papers() do
      if p.published and p.published:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$")
         and #p.categories >= 1 and p.primary_category then
        n = n + 1
      end
    end
    assert.are.equal(#c, n)
  end)
end)
