"""The PDF report: a context of plain values (:mod:`.context`) rendered by
Jinja and WeasyPrint (:mod:`.render`) through a fetcher that can only read the
app's own bundled assets (:mod:`.fetcher`)."""
