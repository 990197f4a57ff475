-- arxivdigest.format.csv: RFC 4180 CSV, one row per paper.
--
-- A header row of field names (opts.fields, default every paper field but
-- raw), CRLF line ends, cells quoted when they hold a comma, a quote, CR or
-- LF (quotes doubled). Arrays are joined with "; ". Text is valid UTF-8
-- without control or bidi-override characters (opts.bom = true starts the
-- file with a UTF-8 byte order mark for spreadsheet programs).
-- Formula injection: a cell whose first character is = + - @ (or a tab or
-- CR) is prefixed with ' so a spreadsheet shows it as text, not a formula.

local util = require "arxivdigest.format.util"
local jsonl = require "arxivdigest.format.jsonl"

local type, tostring, ipairs = type, tostring, ipairs
local table = table

local M = { name = "csv", extension = "csv", mime = "text/csv; charset=utf-8" }

-- Neutralise then quote one cell.
function M.cell(v)
  if v == nil then return "" end
  local s
  if type(v) == "table" or type(v) == "userdata" then
    local parts = util.array(v)
    for i, x in ipairs(parts) do parts[i] = util.line(tostring(x)) end
    s = table.concat(parts, "; ")
  elseif type(v) == "boolean" then
    s = v and "true" or "false"
  else
    s = util.line(tostring(v))
  end
  -- fullwidth variants (U+FF1D = U+FF0B + U+FF0D - U+FF20 @) are read as
  -- formulas by some spreadsheets too
  if s:match("^[=+%-@\t\r]") or s:match("^\239\188[\139\141\157]") or s:match("^\239\188\160") then
    s = "'" .. s
  end
  if s:find('[,"\r\n]') then
    s = '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end

M.check_opts = jsonl.check_opts

function M.render(papers, opts, write)
  local fields = jsonl.fields({ fields = opts.fields, raw = opts.raw })
  local row = {}
  if opts.bom then write("\239\187\191") end
  -- a ranked output (search, recommend, :rank) ends each row with its score
  local ranked = util.ranked(opts) and type(opts.scores) == "table"
  for i, f in ipairs(fields) do row[i] = M.cell(f) end
  if ranked then row[#fields + 1] = "score" end
  write(table.concat(row, ",") .. "\r\n")
  for k = 1, #papers do
    local p = papers[k]
    for i, f in ipairs(fields) do row[i] = M.cell(util.get(p, f)) end
    if ranked then
      local sc = util.score(true, opts.scores[k])
      row[#fields + 1] = sc and string.format("%.6g", sc) or ""
    end
    write(table.concat(row, ",") .. "\r\n")
  end
end

return M
