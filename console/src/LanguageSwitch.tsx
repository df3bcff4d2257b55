/* 中文 / EN, in the console's header and on the pages before sign-in: the one switch of the language. */
import { Segmented } from "antd";
import { useI18n, type Lang } from "./i18n";

export function LanguageSwitch() {
  const { lang, setLang } = useI18n();
  return (
    <Segmented
      size="small"
      value={lang}
      options={[
        { label: "中文", value: "zh" },
        { label: "EN", value: "en" },
      ]}
      onChange={(value) => setLang(value as Lang)}
      data-testid="lang-switch"
    />
  );
}
