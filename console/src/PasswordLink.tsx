/* A one-time set-password link, shown once to whoever made the account (an operator approving a merchant,
 * an owner inviting staff) to hand on: the gateway keeps only its hash. */
import { Modal, Typography } from "antd";
import { fill, useI18n } from "./i18n";
import { shopTime } from "./shopDay";

export interface PasswordLink {
  username: string;
  set_password_url: string;
  expires_at: string;
}

export function PasswordLinkModal({ link, onClose }: { link: PasswordLink | null; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Modal open={link !== null} title={t("staff.linkTitle")} onOk={onClose} onCancel={onClose} cancelButtonProps={{ style: { display: "none" } }}
      okButtonProps={{ "data-testid": "password-link-ok" } as Record<`data-${string}`, string>}>
      {link && (
        <>
          <Typography.Paragraph>
            {fill(t("staff.linkText"), { username: link.username, expires: shopTime(link.expires_at) })}
          </Typography.Paragraph>
          <Typography.Paragraph copyable={{ text: link.set_password_url }} code data-testid="password-link">
            {link.set_password_url}
          </Typography.Paragraph>
        </>
      )}
    </Modal>
  );
}
