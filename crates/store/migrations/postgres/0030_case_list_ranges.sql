-- onewindow schema 30 (PostgreSQL): a case list filtered by department and state walks one index range
-- in id order, and the overdue filter finds the cases of a state on a clock by due date, however
-- many cases the store holds (issue 19; see store/src/cases.rs, list). Keep in step with ../sqlite/.
CREATE INDEX cases_department_status ON cases (department, status, id);
CREATE INDEX cases_status_due ON cases (status, due_on);
