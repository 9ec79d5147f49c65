# 办件通知的模板（简体中文）。每种通知三条：-subject（站内信与邮件的标题）、-body（站内信与
# 邮件的正文）、-sms（短信，不含签名，连签名不超过一条短信的 70 个字）。占位符写作 { $name }；
# 每种通知可用的占位符见 onewindow_domain::notice::NoticeKind::placeholders，缺一个或多一个都在
# 启动时报错，而不是在发送时。

outcome-approved = 准予许可
outcome-refused = 不予许可

received-subject = 已收到您的申请（{ $number }）
received-body = 您申请的“{ $item }”已收件，办件编号 { $number }。可凭编号和申请人姓名随时查询进度，无需到现场。
received-sms = 您的申请已收件，办件编号{ $number }，可凭编号查询进度。

supplement_requested-subject = 请补正材料（{ $number }）
supplement_requested-body = 您申请的“{ $item }”（{ $number }）需一次性补正以下 { $count } 项材料：{ $missing }。说明：{ $note }。请于 { $by } 前在“我的办件”中上传或邮寄，补齐后即予受理。
supplement_requested-sms = 办件{ $number }需补正{ $count }项材料，请于{ $by }前上传。

supplement_received-subject = 补正材料已收到（{ $number }）
supplement_received-body = 您为“{ $item }”（{ $number }）补正的材料已收到，窗口将尽快审核。
supplement_received-sms = 办件{ $number }的补正材料已收到。

accepted-subject = 申请已受理（{ $number }）
accepted-body = 您申请的“{ $item }”（{ $number }）已受理，承诺于 { $due_on } 前办结。
accepted-sms = 办件{ $number }已受理，承诺{ $due_on }前办结。

not_accepted-subject = 申请不予受理（{ $number }）
not_accepted-body = 您申请的“{ $item }”（{ $number }）不予受理，理由：{ $reason }。如有异议，可依法申请行政复议或提起行政诉讼。
not_accepted-sms = 办件{ $number }不予受理，理由详见“我的办件”。

suspended-subject = 办理暂停（{ $number }）
suspended-body = 您申请的“{ $item }”（{ $number }）暂停计时，原因：{ $reason }。恢复后将另行通知。
suspended-sms = 办件{ $number }暂停计时，原因详见“我的办件”。

extended-subject = 办理期限延长（{ $number }）
extended-body = 您申请的“{ $item }”（{ $number }）经批准延长 { $days } 个工作日，新的办结期限为 { $due_on }。理由：{ $reason }。
extended-sms = 办件{ $number }期限延长，新的办结期限为{ $due_on }。

decided-subject = 审批决定：{ $outcome }（{ $number }）
decided-body = 您申请的“{ $item }”（{ $number }）已作出决定：{ $outcome }。{ $reason }
decided-sms = 办件{ $number }已作出决定：{ $outcome }。详见“我的办件”。

licence_ready-subject = 证照已出（{ $number }）
licence_ready-body = 您申请的“{ $item }”（{ $number }）的结果已出（文号 { $document }），可在“我的办件”下载电子证照，或按您选择的方式领取。
licence_ready-sms = 办件{ $number }的证照已出，可登录“我的办件”下载。

parcel_sent-subject = 结果已寄出（{ $number }）
parcel_sent-body = 您申请的“{ $item }”（{ $number }）的结果已由 { $courier } 寄出，运单号 { $waybill }。
parcel_sent-sms = 办件{ $number }的结果已寄出，{ $courier }运单号{ $waybill }。

rating_invitation-subject = 请评价本次服务（{ $number }）
rating_invitation-body = 您申请的“{ $item }”（{ $number }）已办结。欢迎对本次服务作出评价（{ $until } 前有效）：{ $link }
rating_invitation-sms = 您的办件已办结，欢迎评价：{ $link }

promise_reminder-subject = 请按承诺补交材料（{ $number }）
promise_reminder-body = 您申请的“{ $item }”（{ $number }）已容缺受理，您承诺于 { $by } 前补交“{ $missing }”。请按时在“我的办件”中上传或邮寄；逾期未补交的，将依规定停止计时或退回补正。
promise_reminder-sms = 办件{ $number }容缺受理，请于{ $by }前补交承诺的材料。

revoked-subject = 许可已撤销（{ $number }）
revoked-body = 您申请的“{ $item }”（{ $number }）经核查承诺不实，已依法撤销许可，相关证照同时撤销。理由：{ $reason }。如有异议，可依法申请行政复议或提起行政诉讼。
revoked-sms = 办件{ $number }经核查承诺不实，许可已撤销，详见“我的办件”。

withdrawn-subject = 申请已撤回（{ $number }）
withdrawn-body = 您申请的“{ $item }”（{ $number }）已按您的要求撤回，办理终止。撤回原因：{ $reason }。如需办理，请重新申请。
withdrawn-sms = 办件{ $number }已按您的要求撤回，办理终止。
