"""Branch management: each branch's business calendar (opening hours, closures, public
holidays; branches.selectors.business_add / business_between for every department), its
activity report, and later the data synchronisation between branches and head office."""
