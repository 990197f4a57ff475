-- Segmentation papers: the word in the title, or "semantic/instance/panoptic
-- segmentation" in the abstract (an re pattern; [Ss] accepts either case).
local f = require "arxivdigest.filter"
return f.keywords({"segmentation"}, {field = "title"})
     + f.pattern('([Ss]"emantic" / [Ii]"nstance" / [Pp]"anoptic") %s+ [Ss]"egmentation"', {field = "abstract"})
