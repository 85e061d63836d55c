//! The gRPC edge of the notifications service: each call parsed by `wire`, run by `app`,
//! answered in wire types; errors become statuses through `baton_platform::error`.

use tonic::{Request, Response, Status};

use baton_platform::policy::Access;
use baton_platform::validate;
use baton_proto::notifications::v1 as pb;
use baton_proto::notifications::v1::notifications_service_server::NotificationsService;

use crate::app::Notifications;
use crate::domain::InboxChange;
use crate::hub::StreamItem;
use crate::wire;
use crate::wire::webhooks::{self as hooks, Family};

pub struct NotificationsApi {
    app: Notifications,
}

impl NotificationsApi {
    pub fn new(app: Notifications) -> Self {
        Self { app }
    }

    /// Moves the notification `name` names in its recipient's inbox; the notification after.
    async fn change<T>(
        &self,
        request: &Request<T>,
        name: &str,
        change: InboxChange,
    ) -> Result<Option<pb::Notification>, Status> {
        let access = Access::of(request)?;
        let name = wire::parse_name(name)?;
        let notification = self.app.change(&access, name, change).await?;
        Ok(Some(wire::notification(&notification)))
    }
    /// Create…Webhook: the webhook and its secret.
    async fn create_webhook<T>(
        &self,
        request: &Request<T>,
        family: Family,
        parent: &str,
        webhook: Option<&pb::Webhook>,
        webhook_id: &str,
    ) -> Result<(Option<pb::Webhook>, String), Status> {
        let access = Access::of(request)?;
        let private = self.app.private_endpoints();
        let (owner, draft, id) = hooks::parse_create(family, parent, webhook, webhook_id, private)?;
        let (webhook, secret) = self.app.create_webhook(&access, owner, draft, id).await?;
        Ok((Some(hooks::webhook(&webhook)), secret))
    }

    async fn get_webhook<T>(
        &self,
        request: &Request<T>,
        family: Family,
        name: &str,
    ) -> Result<Option<pb::Webhook>, Status> {
        let access = Access::of(request)?;
        let name = hooks::parse_name(family, "name", name)?;
        Ok(Some(hooks::webhook(&self.app.webhook(&access, name).await?)))
    }

    async fn list_webhooks<T>(
        &self,
        request: &Request<T>,
        family: Family,
        parent: &str,
    ) -> Result<Vec<pb::Webhook>, Status> {
        let access = Access::of(request)?;
        let owner = validate::single("parent", family.owner(parent))?;
        Ok(self.app.webhooks(&access, owner).await?.iter().map(hooks::webhook).collect())
    }

    async fn update_webhook<T>(
        &self,
        request: &Request<T>,
        family: Family,
        webhook: Option<&pb::Webhook>,
        mask: Option<&prost_types::FieldMask>,
    ) -> Result<Option<pb::Webhook>, Status> {
        let access = Access::of(request)?;
        let update = hooks::parse_update(family, webhook, mask, self.app.private_endpoints())?;
        Ok(Some(hooks::webhook(&self.app.update_webhook(&access, update).await?)))
    }

    async fn delete_webhook<T>(
        &self,
        request: &Request<T>,
        family: Family,
        name: &str,
        etag: &str,
    ) -> Result<(), Status> {
        let access = Access::of(request)?;
        let name = hooks::parse_name(family, "name", name)?;
        let etag = (!etag.is_empty()).then(|| etag.to_string());
        Ok(self.app.delete_webhook(&access, name, etag).await?)
    }

    async fn rotate_webhook_secret<T>(
        &self,
        request: &Request<T>,
        family: Family,
        name: &str,
    ) -> Result<(Option<pb::Webhook>, String), Status> {
        let access = Access::of(request)?;
        let name = hooks::parse_name(family, "name", name)?;
        let (webhook, secret) = self.app.rotate_webhook_secret(&access, name).await?;
        Ok((Some(hooks::webhook(&webhook)), secret))
    }

    async fn webhook_deliveries<T>(
        &self,
        request: &Request<T>,
        family: Family,
        parent: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<pb::WebhookDelivery>, String), Status> {
        let access = Access::of(request)?;
        let (name, before, limit) = hooks::parse_deliveries(family, parent, page_size, page_token)?;
        let page = self.app.webhook_deliveries(&access, name, before, limit).await?;
        Ok((page.deliveries.iter().map(|d| hooks::delivery(name, d)).collect(), page.next_page_token))
    }
}

#[tonic::async_trait]
impl NotificationsService for NotificationsApi {
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        let access = Access::of(&request)?;
        let query = wire::parse_list(request.get_ref())?;
        let page = self.app.list(&access, query).await?;
        Ok(Response::new(pb::ListNotificationsResponse {
            notifications: page.notifications.iter().map(wire::notification).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn mark_notification_read(
        &self,
        request: Request<pb::MarkNotificationReadRequest>,
    ) -> Result<Response<pb::MarkNotificationReadResponse>, Status> {
        let notification = self.change(&request, &request.get_ref().name, InboxChange::Read).await?;
        Ok(Response::new(pb::MarkNotificationReadResponse { notification }))
    }

    type WatchNotificationsStream =
        std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<pb::WatchNotificationsResponse, Status>> + Send>>;

    async fn watch_notifications(
        &self,
        request: Request<pb::WatchNotificationsRequest>,
    ) -> Result<Response<Self::WatchNotificationsStream>, Status> {
        let access = Access::of(&request)?;
        let recipient = wire::parse_recipient(&request.get_ref().recipient)?;
        let watch = self.app.watch(&access, recipient)?;
        let stream = tokio_stream::StreamExt::map(watch, |notification: StreamItem| {
            Ok(pb::WatchNotificationsResponse { notification: Some((*notification).clone()) })
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn mark_notification_unread(
        &self,
        request: Request<pb::MarkNotificationUnreadRequest>,
    ) -> Result<Response<pb::MarkNotificationUnreadResponse>, Status> {
        let notification = self.change(&request, &request.get_ref().name, InboxChange::Unread).await?;
        Ok(Response::new(pb::MarkNotificationUnreadResponse { notification }))
    }

    async fn archive_notification(
        &self,
        request: Request<pb::ArchiveNotificationRequest>,
    ) -> Result<Response<pb::ArchiveNotificationResponse>, Status> {
        let notification = self.change(&request, &request.get_ref().name, InboxChange::Archive).await?;
        Ok(Response::new(pb::ArchiveNotificationResponse { notification }))
    }

    async fn unarchive_notification(
        &self,
        request: Request<pb::UnarchiveNotificationRequest>,
    ) -> Result<Response<pb::UnarchiveNotificationResponse>, Status> {
        let notification = self.change(&request, &request.get_ref().name, InboxChange::Unarchive).await?;
        Ok(Response::new(pb::UnarchiveNotificationResponse { notification }))
    }

    async fn mark_all_notifications_read(
        &self,
        request: Request<pb::MarkAllNotificationsReadRequest>,
    ) -> Result<Response<pb::MarkAllNotificationsReadResponse>, Status> {
        let access = Access::of(&request)?;
        let (recipient, project) = wire::parse_mark_all(request.get_ref())?;
        let marked = self.app.mark_all_read(&access, recipient, project).await?;
        Ok(Response::new(pb::MarkAllNotificationsReadResponse { marked: i64::try_from(marked).unwrap_or(i64::MAX) }))
    }

    async fn count_unread_notifications(
        &self,
        request: Request<pb::CountUnreadNotificationsRequest>,
    ) -> Result<Response<pb::CountUnreadNotificationsResponse>, Status> {
        let access = Access::of(&request)?;
        let recipient = wire::parse_recipient(&request.get_ref().recipient)?;
        let (total, projects) = self.app.count_unread(&access, recipient).await?;
        Ok(Response::new(pb::CountUnreadNotificationsResponse {
            total,
            projects: projects
                .into_iter()
                .map(|p| pb::ProjectUnreadCount { project: p.project, display_name: p.display_name, unread: p.unread })
                .collect(),
        }))
    }

    async fn get_notification_rule(
        &self,
        request: Request<pb::GetNotificationRuleRequest>,
    ) -> Result<Response<pb::GetNotificationRuleResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::parse_rule_name(&request.get_ref().name, false)?;
        let rule = self.app.rule(&access, name).await?;
        Ok(Response::new(pb::GetNotificationRuleResponse { rule: Some(wire::rule(&rule)) }))
    }

    async fn list_notification_rules(
        &self,
        request: Request<pb::ListNotificationRulesRequest>,
    ) -> Result<Response<pb::ListNotificationRulesResponse>, Status> {
        let access = Access::of(&request)?;
        let rules = self.app.rules(&access, None).await?;
        Ok(Response::new(pb::ListNotificationRulesResponse { rules: rules.iter().map(wire::rule).collect() }))
    }

    async fn update_notification_rule(
        &self,
        request: Request<pb::UpdateNotificationRuleRequest>,
    ) -> Result<Response<pb::UpdateNotificationRuleResponse>, Status> {
        let access = Access::of(&request)?;
        let r = request.get_ref();
        let update = wire::parse_rule_update(r.rule.as_ref(), r.update_mask.as_ref(), false)?;
        let rule = self.app.update_rule(&access, update).await?;
        Ok(Response::new(pb::UpdateNotificationRuleResponse { rule: Some(wire::rule(&rule)) }))
    }

    async fn get_project_notification_rule(
        &self,
        request: Request<pb::GetProjectNotificationRuleRequest>,
    ) -> Result<Response<pb::GetProjectNotificationRuleResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::parse_rule_name(&request.get_ref().name, true)?;
        let rule = self.app.rule(&access, name).await?;
        Ok(Response::new(pb::GetProjectNotificationRuleResponse { rule: Some(wire::rule(&rule)) }))
    }

    async fn list_project_notification_rules(
        &self,
        request: Request<pb::ListProjectNotificationRulesRequest>,
    ) -> Result<Response<pb::ListProjectNotificationRulesResponse>, Status> {
        let access = Access::of(&request)?;
        let project = wire::parse_parent(&request.get_ref().parent)?;
        let rules = self.app.rules(&access, Some(project)).await?;
        Ok(Response::new(pb::ListProjectNotificationRulesResponse { rules: rules.iter().map(wire::rule).collect() }))
    }

    async fn update_project_notification_rule(
        &self,
        request: Request<pb::UpdateProjectNotificationRuleRequest>,
    ) -> Result<Response<pb::UpdateProjectNotificationRuleResponse>, Status> {
        let access = Access::of(&request)?;
        let r = request.get_ref();
        let update = wire::parse_rule_update(r.rule.as_ref(), r.update_mask.as_ref(), true)?;
        let rule = self.app.update_rule(&access, update).await?;
        Ok(Response::new(pb::UpdateProjectNotificationRuleResponse { rule: Some(wire::rule(&rule)) }))
    }

    async fn reset_project_notification_rule(
        &self,
        request: Request<pb::ResetProjectNotificationRuleRequest>,
    ) -> Result<Response<pb::ResetProjectNotificationRuleResponse>, Status> {
        let access = Access::of(&request)?;
        let r = request.get_ref();
        let name = wire::parse_rule_name(&r.name, true)?;
        let etag = (!r.etag.is_empty()).then(|| r.etag.clone());
        let rule = self.app.reset_rule(&access, name, etag).await?;
        Ok(Response::new(pb::ResetProjectNotificationRuleResponse { rule: Some(wire::rule(&rule)) }))
    }

    async fn get_notification_preferences(
        &self,
        request: Request<pb::GetNotificationPreferencesRequest>,
    ) -> Result<Response<pb::GetNotificationPreferencesResponse>, Status> {
        let access = Access::of(&request)?;
        let person = validate::single("name", wire::parse_preferences_name(&request.get_ref().name))?;
        let preferences = self.app.preferences(&access, person).await?;
        Ok(Response::new(pb::GetNotificationPreferencesResponse { preferences: Some(wire::preferences(&preferences)) }))
    }

    async fn update_notification_preferences(
        &self,
        request: Request<pb::UpdateNotificationPreferencesRequest>,
    ) -> Result<Response<pb::UpdateNotificationPreferencesResponse>, Status> {
        let access = Access::of(&request)?;
        let update = wire::parse_preferences_update(request.get_ref())?;
        let preferences = self.app.update_preferences(&access, update).await?;
        Ok(Response::new(pb::UpdateNotificationPreferencesResponse {
            preferences: Some(wire::preferences(&preferences)),
        }))
    }

    async fn create_project_webhook(
        &self,
        request: Request<pb::CreateProjectWebhookRequest>,
    ) -> Result<Response<pb::CreateProjectWebhookResponse>, Status> {
        let r = request.get_ref();
        let (webhook, secret) =
            self.create_webhook(&request, Family::Project, &r.parent, r.webhook.as_ref(), &r.webhook_id).await?;
        Ok(Response::new(pb::CreateProjectWebhookResponse { webhook, secret }))
    }

    async fn get_project_webhook(
        &self,
        request: Request<pb::GetProjectWebhookRequest>,
    ) -> Result<Response<pb::GetProjectWebhookResponse>, Status> {
        let webhook = self.get_webhook(&request, Family::Project, &request.get_ref().name).await?;
        Ok(Response::new(pb::GetProjectWebhookResponse { webhook }))
    }

    async fn list_project_webhooks(
        &self,
        request: Request<pb::ListProjectWebhooksRequest>,
    ) -> Result<Response<pb::ListProjectWebhooksResponse>, Status> {
        let webhooks = self.list_webhooks(&request, Family::Project, &request.get_ref().parent).await?;
        Ok(Response::new(pb::ListProjectWebhooksResponse { webhooks }))
    }

    async fn update_project_webhook(
        &self,
        request: Request<pb::UpdateProjectWebhookRequest>,
    ) -> Result<Response<pb::UpdateProjectWebhookResponse>, Status> {
        let r = request.get_ref();
        let webhook =
            self.update_webhook(&request, Family::Project, r.webhook.as_ref(), r.update_mask.as_ref()).await?;
        Ok(Response::new(pb::UpdateProjectWebhookResponse { webhook }))
    }

    async fn delete_project_webhook(
        &self,
        request: Request<pb::DeleteProjectWebhookRequest>,
    ) -> Result<Response<pb::DeleteProjectWebhookResponse>, Status> {
        let r = request.get_ref();
        self.delete_webhook(&request, Family::Project, &r.name, &r.etag).await?;
        Ok(Response::new(pb::DeleteProjectWebhookResponse {}))
    }

    async fn rotate_project_webhook_secret(
        &self,
        request: Request<pb::RotateProjectWebhookSecretRequest>,
    ) -> Result<Response<pb::RotateProjectWebhookSecretResponse>, Status> {
        let (webhook, secret) = self.rotate_webhook_secret(&request, Family::Project, &request.get_ref().name).await?;
        Ok(Response::new(pb::RotateProjectWebhookSecretResponse { webhook, secret }))
    }

    async fn list_project_webhook_deliveries(
        &self,
        request: Request<pb::ListProjectWebhookDeliveriesRequest>,
    ) -> Result<Response<pb::ListProjectWebhookDeliveriesResponse>, Status> {
        let r = request.get_ref();
        let (deliveries, next_page_token) =
            self.webhook_deliveries(&request, Family::Project, &r.parent, r.page_size, &r.page_token).await?;
        Ok(Response::new(pb::ListProjectWebhookDeliveriesResponse { deliveries, next_page_token }))
    }

    async fn create_personal_webhook(
        &self,
        request: Request<pb::CreatePersonalWebhookRequest>,
    ) -> Result<Response<pb::CreatePersonalWebhookResponse>, Status> {
        let r = request.get_ref();
        let (webhook, secret) =
            self.create_webhook(&request, Family::Personal, &r.parent, r.webhook.as_ref(), &r.webhook_id).await?;
        Ok(Response::new(pb::CreatePersonalWebhookResponse { webhook, secret }))
    }

    async fn get_personal_webhook(
        &self,
        request: Request<pb::GetPersonalWebhookRequest>,
    ) -> Result<Response<pb::GetPersonalWebhookResponse>, Status> {
        let webhook = self.get_webhook(&request, Family::Personal, &request.get_ref().name).await?;
        Ok(Response::new(pb::GetPersonalWebhookResponse { webhook }))
    }

    async fn list_personal_webhooks(
        &self,
        request: Request<pb::ListPersonalWebhooksRequest>,
    ) -> Result<Response<pb::ListPersonalWebhooksResponse>, Status> {
        let webhooks = self.list_webhooks(&request, Family::Personal, &request.get_ref().parent).await?;
        Ok(Response::new(pb::ListPersonalWebhooksResponse { webhooks }))
    }

    async fn update_personal_webhook(
        &self,
        request: Request<pb::UpdatePersonalWebhookRequest>,
    ) -> Result<Response<pb::UpdatePersonalWebhookResponse>, Status> {
        let r = request.get_ref();
        let webhook =
            self.update_webhook(&request, Family::Personal, r.webhook.as_ref(), r.update_mask.as_ref()).await?;
        Ok(Response::new(pb::UpdatePersonalWebhookResponse { webhook }))
    }

    async fn delete_personal_webhook(
        &self,
        request: Request<pb::DeletePersonalWebhookRequest>,
    ) -> Result<Response<pb::DeletePersonalWebhookResponse>, Status> {
        let r = request.get_ref();
        self.delete_webhook(&request, Family::Personal, &r.name, &r.etag).await?;
        Ok(Response::new(pb::DeletePersonalWebhookResponse {}))
    }

    async fn rotate_personal_webhook_secret(
        &self,
        request: Request<pb::RotatePersonalWebhookSecretRequest>,
    ) -> Result<Response<pb::RotatePersonalWebhookSecretResponse>, Status> {
        let (webhook, secret) = self.rotate_webhook_secret(&request, Family::Personal, &request.get_ref().name).await?;
        Ok(Response::new(pb::RotatePersonalWebhookSecretResponse { webhook, secret }))
    }

    async fn list_personal_webhook_deliveries(
        &self,
        request: Request<pb::ListPersonalWebhookDeliveriesRequest>,
    ) -> Result<Response<pb::ListPersonalWebhookDeliveriesResponse>, Status> {
        let r = request.get_ref();
        let (deliveries, next_page_token) =
            self.webhook_deliveries(&request, Family::Personal, &r.parent, r.page_size, &r.page_token).await?;
        Ok(Response::new(pb::ListPersonalWebhookDeliveriesResponse { deliveries, next_page_token }))
    }
}
