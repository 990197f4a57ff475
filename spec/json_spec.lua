-- spec/json_spec.lua: JSON strings have one rule, the core's
-- (ad_json_quote); arxivdigest.json's Lua encode_string is its fallback
-- where the core is not loaded. Both must give the same bytes.
local H = dofile("spec/helper.lua")
local core = require "arxivdigest.core"
local json = require "arxivdigest.json"

local lua_quote, c_quote = json.lua_encode_string, core.json_string

describe("JSON strings", function()
  it("the encoder uses the core's rule", function()
    assert.equal(c_quote, json.encode_string)
    assert.equal('{"a":"x\\"y"}', json.encode({a = 'x"y'}))
  end)

  it("escapes what a JSON reader and a JavaScript eval need, repairs bad UTF-8", function()
    local cases = {
      {"plain", '"plain"'},
      {'q"b\\s', '"q\\"b\\\\s"'},
      {"a\nb\r\t\b\f", '"a\\nb\\r\\t\\b\\f"'},
      {"\0\1\31\127", '"\\u0000\\u0001\\u001f\\u007f"'},
      {"</script><b>", '"<\\/script><b>"'},
      {"a<", '"a<"'},
      {"\226\128\168\226\128\169", '"\\u2028\\u2029"'},               -- line/paragraph separators
      {"\226\128\174\226\129\166\226\129\169", '"\\u202e\\u2066\\u2069"'},   -- bidi controls
      {"\194\133\194\159\194\160", '"\\u0085\\u009f\194\160"'},       -- C1 controls; NBSP kept
      {"caf\195\169 \240\159\152\128", '"caf\195\169 \240\159\152\128"'},
      {"\255", '"\239\191\189"'},
      {"\195", '"\239\191\189"'},                                    -- truncated
      {"\226\130", '"\239\191\189"'},                                -- one U+FFFD for the sequence
      {"\195\169\169\169x", '"\195\169\239\191\189x"'},              -- stray continuations
      {"\237\160\128", '"\239\191\189"'},                            -- a surrogate
      {"\192\175", '"\239\191\189"'},                                -- an overlong '/'
      {"\244\144\128\128", '"\239\191\189"'},                        -- past U+10FFFF
      {"\192\"", '"\239\191\189\\""'},
    }
    for _, c in ipairs(cases) do
      assert.equal(c[2], c_quote(c[1]), ("%q"):format(c[1]))
      assert.equal(c[2], lua_quote(c[1]), ("%q"):format(c[1]))
    end
  end)

  it("the core and the Lua fallback agree on random strings, and a reader gets the repaired text back", function()
    local pieces = {"a", "Z", " ", '"', "\\", "<", "/", "</", "\n", "\0", "\31", "\127", "\128", "\159",
      "\191", "\192", "\193", "\194\133", "\194\160", "\195\169", "\195", "\224\160\128", "\224\128\128",
      "\226\128\168", "\226\128\170", "\226\128\175", "\226\129\166", "\226\129\170", "\237\159\191",
      "\237\160\128", "\240\159\152\128", "\240\143\191\191", "\244\143\191\191", "\244\144\128\128",
      "\245", "\248\136\128\128\128", "\255", "\239\191\189"}
    for s in H.random_strings(pieces, 7, 20000) do
      local c = c_quote(s)
      assert.equal(lua_quote(s), c, ("%q"):format(s))
      assert.equal(json.valid_utf8(s), json.decode(c), ("%q"):format(s))
      assert.is_nil(c:find("[\n\r]"))
    end
  end)

  it("agrees on every title and abstract of the sample", function()
    local c = assert(require("arxivdigest").open("examples/data"))
    local n = 0
    for p in c:papers() do
      for _, f in ipairs{"title", "abstract", "comment"} do
        local v = p[f]
        if v then
          assert.equal(lua_quote(v), c_quote(v), p.id)
          n = n + 1
        end
      end
    end
    assert.is_true(n > 400)
  end)
end)

-- Display text has one rule too: arxivdigest.format.util's clean takes the
-- core's one pass (ad_text_clean) for the common case (controls dropped),
-- its Lua passes otherwise; both must give the same text.
describe("display text (util.clean)", function()
  local util = require "arxivdigest.format.util"
  it("the core's pass and the Lua passes agree, with and without keep_space", function()
    local pieces = {"a", "Z", " ", "  ", "\t", "\n", "\r", "\v", "\f", "\0", "\1", "\8", "\14", "\31",
      "\127", "\128", "\191", "\192", "\194\133", "\194\159", "\194\160", "\195\169", "\195",
      "\226\128\168", "\226\128\169", "\226\128\170", "\226\128\174", "\226\128\175", "\226\129\165",
      "\226\129\166", "\226\129\169", "\226\129\170", "\237\160\128", "\240\159\152\128",
      "\244\144\128\128", "\255", "<", "&", "\"", "x y"}
    for s in H.random_strings(pieces, 11, 20000) do
      for _, keep in ipairs{false, true} do
        assert.equal(util.lua_clean(s, nil, keep), util.clean(s, nil, keep), ("%q %s"):format(s, keep))
        assert.equal(util.lua_clean(s, "", keep), core.clean(s, keep), ("%q %s"):format(s, keep))
      end
    end
  end)

  it("agrees on every field of the sample", function()
    local c = assert(require("arxivdigest").open("examples/data"))
    for p in c:papers() do
      for _, f in ipairs{"title", "abstract", "comment", "journal"} do
        local v = p[f]
        if v then assert.equal(util.lua_clean(v), core.clean(v), p.id) end
      end
    end
  end)
end)

-- XML text too: arxivdigest.format.util's xml takes the core's two passes
-- (core.xml: ad_text_clean, then ad_xml_escape) when the core is loaded,
-- its Lua passes (lua_xml) otherwise; both must give the same text.
describe("XML text (util.xml)", function()
  local util = require "arxivdigest.format.util"
  it("escapes markup characters and drops U+FFFE/U+FFFF after cleaning", function()
    local cases = {
      {"a & b < c > d \" e ' f", "a &amp; b &lt; c &gt; d &quot; e &#39; f"},
      {"x\239\191\190y\239\191\191z\239\191\189", "xyz\239\191\189"},
      {"\239\191", "\239\191\189"},                      -- truncated: repaired, not dropped
      {"a\0b\1<\127", "ab&lt;"},
      {"  sp \t\n x  ", " sp x "},
      {"&amp;", "&amp;amp;"},
      {"", ""},
    }
    for _, c in ipairs(cases) do
      assert.equal(c[2], core.xml(c[1]), ("%q"):format(c[1]))
      assert.equal(c[2], util.lua_xml(c[1]), ("%q"):format(c[1]))
      assert.equal(c[2], util.xml(c[1]), ("%q"):format(c[1]))
    end
    assert.equal("", util.xml(nil))
    assert.equal("5", util.xml(5))
    assert.equal("1.5", util.lua_xml(1.5))
  end)

  it("the core's passes and the Lua passes agree on random strings", function()
    local pieces = {"a", "Z", " ", "  ", "\t", "\n", "&", "<", ">", '"', "'", "&amp;", "\0", "\1", "\31", "\127",
      "\128", "\191", "\194\133", "\194\160", "\195\169", "\195", "\226\128\168", "\226\128\174",
      "\226\129\166", "\237\160\128", "\239\191\190", "\239\191\191", "\239\191\189", "\239\191", "\239",
      "\191\190", "\240\159\152\128", "\255", "x y"}
    for s in H.random_strings(pieces, 23, 20000) do
      assert.equal(util.lua_xml(s), core.xml(s), ("%q"):format(s))
      assert.equal(util.lua_xml(s), util.xml(s), ("%q"):format(s))
    end
  end)

  it("agrees on every field of the sample", function()
    local c = assert(require("arxivdigest").open("examples/data"))
    for p in c:papers() do
      for _, f in ipairs{"title", "abstract", "comment", "journal", "id"} do
        local v = p[f]
        if v then assert.equal(util.lua_xml(v), core.xml(v), p.id) end
      end
      for _, a in ipairs(p.authors or {}) do assert.equal(util.lua_xml(a), core.xml(a), p.id) end
    end
  end)
end)
