-- bench/fts5.lua: the SQLite FTS5 baseline of `make bench`, driven in-process
-- through LuaSQL (Debian's lua-sql-sqlite3, over Debian's libsqlite3), so a
-- query's timing is the query and its 10 rows, not a process start-up.
--
--   local F = dofile "bench/fts5.lua"
--   local db = F.open("bench/out/fts5.db")          -- a fresh database file
--   db:load(papers)                                 -- plain table `papers`
--   local secs = db:build()                         -- FTS5 index over title, authors, abstract
--   local rows = db:top10(q)                        -- { {rowid, score}, ... }

local os, io, string, table = os, io, string, table
local ipairs, error, tostring, require, setmetatable, pcall = ipairs, error, tostring, require, setmetatable, pcall
local type, tonumber = type, tonumber
local clock = os.clock

local M = {}

-- The driver, or nil and a message saying how to get it.
function M.driver()
  local ok, drv = pcall(require, "luasql.sqlite3")
  if not ok then
    return nil, "LuaSQL's SQLite driver is missing (Debian package lua-sql-sqlite3): " .. tostring(drv)
  end
  return drv
end

local DB = {}
DB.__index = DB

local function exec(con, sql)
  local r, err = con:execute(sql)
  if not r then error("sqlite: " .. tostring(err) .. "\n  in: " .. sql:sub(1, 200), 2) end
  return r
end

function M.open(path)
  local drv, err = M.driver()
  if not drv then return nil, err end
  os.remove(path)
  local env = drv.sqlite3()
  local con = env:connect(path)
  if not con then return nil, "cannot create " .. path end
  exec(con, "PRAGMA journal_mode=OFF")
  exec(con, "PRAGMA synchronous=OFF")
  exec(con, "PRAGMA cache_size=-262144")     -- 256 MB page cache: the whole index fits
  exec(con, "PRAGMA temp_store=MEMORY")
  exec(con, [[CREATE TABLE papers(rowid INTEGER PRIMARY KEY, id TEXT, date TEXT,
      primary_category TEXT, categories TEXT, title TEXT, authors TEXT, abstract TEXT)]])
  exec(con, "CREATE INDEX papers_date ON papers(date)")
  return setmetatable({ env = env, con = con, path = path }, DB)
end

-- Insert the papers (tables with the bench's field names) into `papers`,
-- several rows per statement; returns the CPU seconds it took.
function DB:load(papers)
  local con = self.con
  local esc = function(s) return s and ("'" .. con:escape(s) .. "'") or "NULL" end
  local t0 = clock()
  con:setautocommit(false)
  local rows, n = {}, 0
  local function flush()
    if n > 0 then
      exec(con, "INSERT INTO papers VALUES " .. table.concat(rows, ",", 1, n))
      n = 0
    end
  end
  for i, p in ipairs(papers) do
    n = n + 1
    rows[n] = string.format("(%d,%s,%s,%s,%s,%s,%s,%s)", i, esc(p.id), esc(p.date),
      esc(p.primary_category), esc(" " .. table.concat(p.categories, " ") .. " "),
      esc(p.title), esc(table.concat(p.authors, ", ")), esc(p.abstract))
    if n == 200 then flush() end
  end
  flush()
  con:commit()
  self.n_papers = #papers
  return clock() - t0
end

-- Build the FTS5 index (external content: the text stays in `papers`);
-- returns the CPU seconds of the build and of a following 'optimize'.
function DB:build()
  local con = self.con
  exec(con, [[CREATE VIRTUAL TABLE fts USING fts5(title, authors, abstract,
      content='papers', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')]])
  local t0 = clock()
  exec(con, "INSERT INTO fts(fts) VALUES('rebuild')")
  con:commit()
  local t1 = clock()
  exec(con, "INSERT INTO fts(fts) VALUES('optimize')")
  con:commit()
  local t2 = clock()
  con:setautocommit(true)
  return t1 - t0, t2 - t1
end

-- Bytes used by the FTS5 index (its shadow tables) and by the whole file.
function DB:sizes()
  local con = self.con
  local function one(sql)
    local cur = con:execute(sql)
    if type(cur) ~= "userdata" then return nil end
    local v = cur:fetch()
    cur:close()
    return tonumber(v)
  end
  local page = one("PRAGMA page_size")
  local f = io.open(self.path, "rb")
  local file = f and f:seek("end")
  if f then f:close() end
  -- dbstat is not always compiled in: fall back to nil
  local ok, idx = pcall(one, "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'fts%'")
  return ok and idx or nil, file, page
end

-- Top-10 by bm25() for an FTS5 MATCH expression, optionally with an SQL
-- condition on `papers` (date, categories); returns the rows.
function DB:sql_for(match, where)
  local q = "'" .. self.con:escape(match) .. "'"
  if where then
    return "SELECT fts.rowid, bm25(fts) FROM fts JOIN papers ON papers.rowid = fts.rowid WHERE fts MATCH "
      .. q .. " AND " .. where .. " ORDER BY bm25(fts) LIMIT 10"
  end
  return "SELECT rowid, bm25(fts) FROM fts WHERE fts MATCH " .. q .. " ORDER BY bm25(fts) LIMIT 10"
end

function DB:top10(sql)
  local cur = exec(self.con, sql)
  local out, row = {}, cur:fetch({}, "n")
  while row do
    out[#out + 1] = { row[1], row[2] }
    row = cur:fetch({}, "n")
  end
  cur:close()
  return out
end

function DB:count(match, where)
  local sql = "SELECT count(*) FROM fts" .. (where and " JOIN papers ON papers.rowid = fts.rowid" or "")
    .. " WHERE fts MATCH '" .. self.con:escape(match) .. "'" .. (where and (" AND " .. where) or "")
  local cur = exec(self.con, sql)
  local v = cur:fetch()
  cur:close()
  return tonumber(v)
end

function DB:close()
  self.con:close()
  self.env:close()
end

return M
