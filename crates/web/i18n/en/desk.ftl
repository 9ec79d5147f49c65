# desk pages
