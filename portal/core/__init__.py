"""Building blocks that know no feature: models, forms, HTML, errors, permissions, mail, jobs."""
