# applicant pages
