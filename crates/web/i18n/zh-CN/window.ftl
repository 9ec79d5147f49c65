# window pages
