-- What the commands' outputs say: similar's scores, feed ids and titles,
-- the order of export, and the example scripts' arguments.
local json = require "arxivdigest.json"

-- runs the command in-process: status, stdout, stderr (spec/helper.lua)
local H_ = dofile("spec/helper.lua")
local function run(...) return H_.run_cli({...}) end

local function jsonl(s)
  local out = {}
  for line in s:gmatch("[^\n]+") do out[#out + 1] = json.decode(line) end
  return out
end

describe("cli outputs", function()
  describe("similar", function()
    it("gives each hit's cosine in every format, as search gives its scores", function()
      local st, out = run("similar", "1910.11126", "-n", "3", "-f", "{score} {id}")
      assert.equal(0, st)
      local n, prev = 0, math.huge
      for score, id in out:gmatch("(%S+) (%S+)\n") do
        n = n + 1
        local v = tonumber(score)
        assert.truthy(v and v > 0 and v <= 1, score)
        assert.truthy(v <= prev, "best first")
        assert.are_not.equal("1910.11126", id)
        prev = v
      end
      assert.equal(3, n)
      st, out = run("similar", "1910.11126", "-n", "2", "-f", "jsonl")
      assert.equal(0, st)
      local rows = jsonl(out)
      assert.equal(2, #rows)
      for _, r in ipairs(rows) do assert.equal("number", type(r.score)) end
      st, out = run("similar", "1910.11126", "-n", "1")
      assert.equal(0, st)
      assert.truthy(out:find("| score %d"), out)
      st, out = run("similar", "1910.11126", "-n", "1", "-f", "csv")
      assert.equal(0, st)
      assert.truthy(out:match("^[^\n]*,score\r?\n"), out)
      assert.truthy(out:match("\n[^\n]*,0%.%d+\r?\n$"), out)
      -- the cosine of idx:similar
      local ad = require "arxivdigest"
      local idx = ad.index(require("arxivdigest").sample())
      local h = idx:similar("1910.11126", 1)[1]
      assert.equal(h.paper.id, rows[1].id)
      assert.near(h.score, rows[1].score, 1e-9)
    end)
  end)
end)
