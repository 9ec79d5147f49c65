# Templates of the messages to applicants (English). Three per kind: -subject (the inbox's and
# the mail's title), -body (their text), -sms (without the signature; with it one SMS: 70
# characters, as the county's signature is Chinese). Placeholders are written { $name }; the ones each kind may use are in
# onewindow_domain::notice::NoticeKind::placeholders. One missing or one too many fails at
# start, not at sending.

outcome-approved = approved
outcome-refused = refused

received-subject = Application received ({ $number })
received-body = Your application for "{ $item }" was received as case { $number }. You can follow it with the number and the applicant's name at any time, without coming in.
received-sms = Case { $number } received; track it online.

supplement_requested-subject = Materials to supplement ({ $number })
supplement_requested-body = For "{ $item }" ({ $number }) please supplement these { $count } materials, all at once, by { $by }: { $missing }. Note: { $note }. Upload them or post them from "My cases"; the case is accepted once they are complete.
supplement_requested-sms = Case { $number }: { $count } missing, due { $by }.

supplement_received-subject = Supplement received ({ $number })
supplement_received-body = The materials you supplemented for "{ $item }" ({ $number }) were received; the window checks them shortly.
supplement_received-sms = Case { $number }: supplement received.

accepted-subject = Application accepted ({ $number })
accepted-body = Your application for "{ $item }" ({ $number }) was accepted; it is promised to be decided by { $due_on }.
accepted-sms = Case { $number } accepted, due { $due_on }.

not_accepted-subject = Application not accepted ({ $number })
not_accepted-body = Your application for "{ $item }" ({ $number }) was not accepted: { $reason }. You may apply for administrative reconsideration or bring an administrative lawsuit.
not_accepted-sms = Case { $number } not accepted; see My cases.

suspended-subject = Case suspended ({ $number })
suspended-body = The clock of "{ $item }" ({ $number }) is stopped: { $reason }. You will be told when it runs again.
suspended-sms = Case { $number } suspended; see My cases.

extended-subject = Time limit extended ({ $number })
extended-body = The time limit of "{ $item }" ({ $number }) was extended by { $days } working days; it is now due by { $due_on }. Reason: { $reason }.
extended-sms = Case { $number } extended, now due { $due_on }.

decided-subject = Decision: { $outcome } ({ $number })
decided-body = Your application for "{ $item }" ({ $number }) was decided: { $outcome }. { $reason }
decided-sms = Case { $number } decided: { $outcome }.

licence_ready-subject = Licence ready ({ $number })
licence_ready-body = The result of "{ $item }" ({ $number }) is ready (document { $document }); download the electronic licence under My cases or receive it as you chose.
licence_ready-sms = Case { $number }: licence ready under My cases.

parcel_sent-subject = Result posted ({ $number })
parcel_sent-body = The result of "{ $item }" ({ $number }) was posted by { $courier }, waybill { $waybill }.
parcel_sent-sms = Case { $number } posted: { $courier } { $waybill }

rating_invitation-subject = Please rate our service ({ $number })
rating_invitation-body = Your application for "{ $item }" ({ $number }) is complete. Please rate the service (until { $until }): { $link }
rating_invitation-sms = Rate our service: { $link }

promise_reminder-subject = Please hand in the promised material ({ $number })
promise_reminder-body = Your application for "{ $item }" ({ $number }) was accepted on your promise to hand in "{ $missing }" by { $by }. Please upload or post it in time under "My cases"; if it does not arrive, the clock stops or the case goes back to supplement as the county's rules say.
promise_reminder-sms = Case { $number }: promised material due { $by }.

revoked-subject = Approval revoked ({ $number })
revoked-body = The approval of "{ $item }" ({ $number }) was revoked because a commitment you signed proved untrue; the licence it issued is revoked with it. Reason: { $reason }. You may apply for administrative reconsideration or bring an administrative action.
revoked-sms = Case { $number }: approval revoked; see My cases.

withdrawn-subject = Application withdrawn ({ $number })
withdrawn-body = Your application for "{ $item }" ({ $number }) was withdrawn as you asked and has ended. Reason: { $reason }. To go on, apply again.
withdrawn-sms = Case { $number } withdrawn as you asked.
