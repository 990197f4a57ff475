-- The people I follow (initials, "Surname, Given" and diacritics are fine).
local f = require "arxivdigest.filter"
return f.authors{"A. Vedaldi", "Gagne, Christian", "Li-Heng Chen"}
