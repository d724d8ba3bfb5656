"""Bot or person, device class and referrer host, from the headers of a click."""
# ruff: noqa: E501 -- user agents stay whole, so they can be compared with server logs.

from __future__ import annotations

import pytest
from crawleruseragents import CRAWLER_USER_AGENTS_DATA

from chorus.links.bots import Visitor, classify, device_class, is_bot, referrer_domain

# Crawler-list patterns whose example strings are real in-app browsers, which agents.py
# deliberately counts as people (see _HUMAN_MARKERS there).
HUMAN_LOOKALIKE_PATTERNS: set[str] = set()


def test_every_example_in_the_crawler_list_is_a_bot() -> None:
    checked = 0
    failures = []
    for record in CRAWLER_USER_AGENTS_DATA:
        if record["pattern"] in HUMAN_LOOKALIKE_PATTERNS:
            continue
        for instance in record.get("instances", []):
            checked += 1
            if not is_bot(instance):
                failures.append((record["pattern"], instance))
    assert failures == []
    # The list holds ~2,100 examples; a loop over nothing would pass silently.
    assert checked > 1500


# (label, user agent, device class). Real strings as sent by current browsers and apps.
HUMAN_USER_AGENTS = [
    # Desktop browsers.
    (
        "Chrome Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
        "desktop",
    ),
    (
        "Chrome macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
        "desktop",
    ),
    (
        "Chrome Linux",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
        "desktop",
    ),
    (
        "Chrome ChromeOS",
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
        "desktop",
    ),
    (
        "Edge Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36 Edg/135.0.0.0",
        "desktop",
    ),
    (
        "Edge macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 Edg/134.0.0.0",
        "desktop",
    ),
    (
        "Firefox Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:137.0) Gecko/20100101 Firefox/137.0",
        "desktop",
    ),
    (
        "Firefox macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:137.0) Gecko/20100101 Firefox/137.0",
        "desktop",
    ),
    (
        "Firefox Linux",
        "Mozilla/5.0 (X11; Linux x86_64; rv:137.0) Gecko/20100101 Firefox/137.0",
        "desktop",
    ),
    (
        "Firefox ESR Ubuntu",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "desktop",
    ),
    (
        "Safari macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Safari/605.1.15",
        "desktop",
    ),
    # iPadOS Safari asks for desktop sites by default and sends the macOS string.
    (
        "Safari iPadOS desktop mode",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "desktop",
    ),
    (
        "Opera Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 OPR/119.0.0.0",
        "desktop",
    ),
    (
        "Brave Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
        "desktop",
    ),
    (
        "Vivaldi Linux",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36 Vivaldi/7.3.3635.7",
        "desktop",
    ),
    (
        "Yandex Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 YaBrowser/25.2.0.0 Safari/537.36",
        "desktop",
    ),
    (
        "Chrome Windows 32-bit",
        "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
        "desktop",
    ),
    (
        "Slack desktop app",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.43.43 Chrome/134.0.6998.44 Electron/35.0.1 Safari/537.36 Sonic Slack_SSB/4.43.43",
        "desktop",
    ),
    (
        "Teams classic desktop",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Teams/1.7.00.13456 Chrome/108.0.5359.215 Electron/22.3.27 Safari/537.36",
        "desktop",
    ),
    (
        "Discord desktop app",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) discord/1.0.9187 Chrome/124.0.6367.243 Electron/30.2.0 Safari/537.36",
        "desktop",
    ),
    # Phones.
    (
        "Chrome Android reduced",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Mobile Safari/537.36",
        "mobile",
    ),
    (
        "Chrome Android Pixel",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.113 Mobile Safari/537.36",
        "mobile",
    ),
    (
        "Brave Android",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Mobile Safari/537.36",
        "mobile",
    ),
    (
        "Chrome iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/135.0.7049.83 Mobile/15E148 Safari/604.1",
        "mobile",
    ),
    (
        "Safari iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1",
        "mobile",
    ),
    (
        "Firefox Android",
        "Mozilla/5.0 (Android 14; Mobile; rv:137.0) Gecko/137.0 Firefox/137.0",
        "mobile",
    ),
    (
        "Firefox iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/137.0 Mobile/15E148 Safari/605.1.15",
        "mobile",
    ),
    (
        "Edge Android",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Mobile Safari/537.36 EdgA/135.0.0.0",
        "mobile",
    ),
    (
        "Edge iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/135.3179.54 Mobile/15E148 Safari/605.1.15",
        "mobile",
    ),
    (
        "Samsung Internet phone",
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
        "mobile",
    ),
    (
        "Opera Android",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Mobile Safari/537.36 OPR/88.5.4604.84433",
        "mobile",
    ),
    (
        "UC Browser Android",
        "Mozilla/5.0 (Linux; U; Android 13; en-US; SM-A135F Build/TP1A.220624.014) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.80 UCBrowser/13.8.2.1324 Mobile Safari/537.36",
        "mobile",
    ),
    (
        "Yandex Android",
        "Mozilla/5.0 (Linux; Android 13; M2101K6G) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 YaBrowser/25.2.1.90.00 SA/3 Mobile Safari/537.36",
        "mobile",
    ),
    (
        "DuckDuckGo Android",
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/135.0.0.0 Mobile DuckDuckGo/5 Safari/537.36",
        "mobile",
    ),
    (
        "DuckDuckGo iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 DuckDuckGo/7 Safari/605.1.15",
        "mobile",
    ),
    (
        "Xiaomi Mi Browser",
        "Mozilla/5.0 (Linux; U; Android 13; en-gb; 2201117TG Build/TKQ1.221114.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.136 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.9.1-gn",
        "mobile",
    ),
    (
        "Google app iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/360.0.737798518 Mobile/15E148 Safari/604.1",
        "mobile",
    ),
    # Tablets.
    (
        "Chrome Android tablet reduced",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
        "tablet",
    ),
    (
        "Chrome Galaxy Tab",
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.113 Safari/537.36",
        "tablet",
    ),
    (
        "Samsung Internet tablet",
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Safari/537.36",
        "tablet",
    ),
    (
        "Firefox Android tablet",
        "Mozilla/5.0 (Android 14; Tablet; rv:137.0) Gecko/137.0 Firefox/137.0",
        "tablet",
    ),
    (
        "Safari iPad mobile mode",
        "Mozilla/5.0 (iPad; CPU OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        "tablet",
    ),
    (
        "Chrome iPad",
        "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/135.0.7049.83 Mobile/15E148 Safari/604.1",
        "tablet",
    ),
    # In-app browsers: people reading a post and tapping the link.
    (
        "LinkedIn iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.1640",
        "mobile",
    ),
    (
        "LinkedIn Android",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.113 Mobile Safari/537.36 [LinkedInApp]/4.1.936",
        "mobile",
    ),
    (
        "LinkedIn iPad",
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.1640",
        "tablet",
    ),
    (
        "Facebook iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21E236 [FBAN/FBIOS;FBAV/459.0.0.39.107;FBBV/588139843;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.4.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5;FBRV/590149371]",
        "mobile",
    ),
    (
        "Facebook Android",
        "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP1A.240405.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/452.0.0.41.109;]",
        "mobile",
    ),
    (
        "Instagram iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 323.0.0.35.65 (iPhone14,5; iOS 17_4; en_US; en; scale=3.00; 1170x2532; 567512345)",
        "mobile",
    ),
    (
        "Instagram Android",
        "Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 Instagram 329.0.0.41.93 Android (34/14; 450dpi; 1080x2340; samsung; SM-A546B; a54x; s5e8835; en_GB; 590048470)",
        "mobile",
    ),
    (
        "Messenger iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21E236 [FBAN/MessengerForiOS;FBAV/455.0.0.32.107;FBBV/587235142;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4.1;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/5]",
        "mobile",
    ),
    (
        "Messenger Android",
        "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 [FB_IAB/Orca-Android;FBAV/452.0.0.12.109;]",
        "mobile",
    ),
    (
        "X iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.38",
        "mobile",
    ),
    (
        "X Android",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240605.024; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.165 Mobile Safari/537.36 TwitterAndroid",
        "mobile",
    ),
    (
        "Snapchat iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Snapchat/13.10.0.47 (like Safari/8618.1.15.10.15, panda)",
        "mobile",
    ),
    (
        "TikTok iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 musical_ly_34.4.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US isDarkMode/0 WKWebView/1 RevealType/Dialog BytedanceWebview/d8a21c6",
        "mobile",
    ),
    (
        "TikTok Android",
        "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 trill_340303 JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/trill app_version/34.3.3 ByteLocale/en ByteFullLocale/en Region/GB Spark/1.5.4.2-bugfix AppVersion/34.3.3 BytedanceWebview/d8a21c6",
        "mobile",
    ),
    (
        "Pinterest iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]",
        "mobile",
    ),
    (
        "Pinterest Android",
        "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/AP1A.240405.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 [Pinterest/Android]",
        "mobile",
    ),
    (
        "Teams Android",
        "Mozilla/5.0 (Linux; Android 14; SM-G991B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 TeamsMobile-Android",
        "mobile",
    ),
    (
        "Outlook Android",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240605.024; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.165 Mobile Safari/537.36",
        "mobile",
    ),
    (
        "Telegram Android",
        "Mozilla/5.0 (Linux; Android 14; SM-G991B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 Telegram-Android/11.5.3 (Samsung SM-G991B; Android 14; SDK 34; AVERAGE)",
        "mobile",
    ),
    (
        "LINE iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.5.0",
        "mobile",
    ),
    (
        "WeChat iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN",
        "mobile",
    ),
    (
        "Threads iOS",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Barcelona 356.0.0.26.88 (iPhone15,3; iOS 18_1; en_US; en; scale=3.00; 1290x2796; 651328340)",
        "mobile",
    ),
]


def test_the_list_holds_enough_people() -> None:
    assert len(HUMAN_USER_AGENTS) >= 60
    assert len({user_agent for _, user_agent, _ in HUMAN_USER_AGENTS}) >= 60


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [(user_agent, device) for _, user_agent, device in HUMAN_USER_AGENTS],
    ids=[label for label, _, _ in HUMAN_USER_AGENTS],
)
def test_people_and_in_app_browsers_count_as_clicks(user_agent: str, device: str) -> None:
    assert classify(user_agent) == Visitor(is_bot=False, bot_reason="", device=device)


# Link-preview fetchers and scripts, as they really introduce themselves.
PREVIEW_CRAWLERS = [
    (
        "LinkedInBot",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    ),
    ("Twitterbot", "Twitterbot/1.0"),
    (
        "facebookexternalhit",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    ),
    (
        "facebookexternalhit via Safari",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    ),
    (
        "meta-externalagent",
        "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
    ),
    ("Slackbot", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
    ("Slack image proxy", "Slack-ImgProxy (+https://api.slack.com/robots)"),
    ("WhatsApp Android", "WhatsApp/2.23.20.0 A"),
    ("WhatsApp iOS", "WhatsApp/2.24.8.78 i"),
    ("TelegramBot", "TelegramBot (like TwitterBot)"),
    ("Discordbot", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"),
    ("Mastodon preview", "Mastodon/4.2.1 (http.rb/5.1.1; +https://mastodon.social/) Bot"),
    ("Mastodon fetch", "Mastodon/4.3.2 (http.rb/5.2.0; +https://fosstodon.org/)"),
    ("Mastodon glitch-soc", "Mastodon/4.2.8+glitch (http.rb/5.1.1; +https://example.social/) Bot"),
    (
        "Mastodon hometown",
        "Mastodon/4.2.10+hometown-1.1.1 (http.rb/5.1.1; +https://example.social/) Bot",
    ),
    ("Mastodon 3.x", "http.rb/4.4.1 (Mastodon/3.3.0; +https://example.social/)"),
    ("Pleroma", "Pleroma 2.6.2; https://pleroma.example <admin@pleroma.example>"),
    ("Akkoma", "Akkoma 3.13.2; https://akkoma.example <admin@akkoma.example>"),
    ("Misskey", "SummalyBot/5.0.2"),
    ("GoToSocial", "gotosocial (+https://gts.example) gotosocial/0.16.0"),
    ("Bluesky Cardyb", "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)"),
    ("Iframely", "Iframely/1.3.1 (+https://iframely.com/docs/about)"),
    ("Embedly", "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)"),
    (
        "Skype and Teams preview",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com",
    ),
    ("Microsoft preview", "MicrosoftPreview/2.0 +https://aka.ms/MicrosoftPreview"),
    ("Snapchat preview", "Mozilla/5.0 (compatible; SnapURLPreview/1.0; +https://www.snapchat.com)"),
    ("redditbot", "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)"),
    (
        "Pinterestbot",
        "Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)",
    ),
    (
        "Applebot",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    ),
    ("Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    (
        "Googlebot smartphone",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    ),
    (
        "bingbot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
    ),
    (
        "HeadlessChrome",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36",
    ),
    ("curl", "curl/8.5.0"),
    ("Wget", "Wget/1.21.4"),
    ("python-requests", "python-requests/2.31.0"),
    ("httpx", "python-httpx/0.27.0"),
    ("aiohttp", "Python/3.11 aiohttp/3.9.5"),
    ("urllib", "Python-urllib/3.11"),
    ("Go", "Go-http-client/2.0"),
    ("okhttp", "okhttp/4.12.0"),
    ("axios", "axios/1.6.8"),
    ("node-fetch", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"),
]


@pytest.mark.parametrize(
    "user_agent",
    [user_agent for _, user_agent in PREVIEW_CRAWLERS],
    ids=[label for label, _ in PREVIEW_CRAWLERS],
)
def test_preview_crawlers_and_scripts_are_bots(user_agent: str) -> None:
    visitor = classify(user_agent)
    assert visitor.is_bot
    assert visitor.bot_reason
    assert visitor.device == "bot"


@pytest.mark.parametrize(
    ("user_agent", "reason"),
    [
        ("", "empty user agent"),
        ("   ", "empty user agent"),
        ("\t", "empty user agent"),
        (
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "crawler list: LinkedInBot",
        ),
        ("Mastodon/4.2.1 (http.rb/5.1.1; +https://mastodon.social/) Bot", "crawler list: Mastodon"),
        (
            "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
            "bluesky preview",
        ),
        ("Pleroma 2.6.2; https://pleroma.example <admin@pleroma.example>", "fediverse preview"),
    ],
)
def test_bots_say_why(user_agent: str, reason: str) -> None:
    assert classify(user_agent).bot_reason == reason
    assert is_bot(user_agent)


def test_empty_user_agent_is_a_bot_of_unknown_device() -> None:
    assert classify("") == Visitor(is_bot=True, bot_reason="empty user agent", device="unknown")


def test_human_markers_do_not_shield_the_crawlers_they_resemble() -> None:
    # The "Sonic" research crawler stays a bot; only Slack's desktop app is let through.
    assert is_bot(
        "Mozilla/5.0 (compatible; Sonic/1.0; http://www.yama.info.waseda.ac.jp/~crawler/info.html)"
    )
    # A marker outside a browser-shaped string proves nothing.
    assert is_bot("Sonic Slack_SSB/4.43.43")
    # The list files "MetaIAB Facebook" as Facebook's preview fetcher: it stays a bot.
    metaiab = next(r for r in CRAWLER_USER_AGENTS_DATA if r["pattern"] == "MetaIAB Facebook")
    assert all(is_bot(instance) for instance in metaiab["instances"])


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        ("", "unknown"),
        ("  ", "unknown"),
        ("Twitterbot/1.0", "bot"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/135.0.0.0 Safari/537.36",
            "desktop",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1",
            "mobile",
        ),
        # iPad strings carry "Mobile/15E148" too: the iPad token wins.
        (
            "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
            "tablet",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.113 Mobile Safari/537.36",
            "mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.113 Safari/537.36",
            "tablet",
        ),
        ("Mozilla/5.0 (Android 14; Mobile; rv:137.0) Gecko/137.0 Firefox/137.0", "mobile"),
        ("Mozilla/5.0 (Android 14; Tablet; rv:137.0) Gecko/137.0 Firefox/137.0", "tablet"),
        (
            "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/128.3.1 like Chrome/128.0.6613.187 Safari/537.36",
            "tablet",
        ),
        # A Windows touch laptop calls itself "Tablet PC".
        (
            "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; Touch; Tablet PC 2.0; rv:11.0) like Gecko",
            "desktop",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:137.0) Gecko/20100101 Firefox/137.0", "desktop"),
    ],
)
def test_device_class(user_agent: str, device: str) -> None:
    assert device_class(user_agent) == device


@pytest.mark.parametrize(
    ("referer", "domain"),
    [
        ("https://www.linkedin.com/", "linkedin.com"),
        (
            "https://www.linkedin.com/feed/update/urn:li:activity:7190000000000000000/",
            "linkedin.com",
        ),
        ("https://lnkd.in/", "lnkd.in"),
        ("https://t.co/", "t.co"),
        ("https://l.facebook.com/", "l.facebook.com"),
        ("https://www.google.com/search?q=chorus", "google.com"),
        ("http://WWW.Example.COM:8080/path?q=1#top", "example.com"),
        ("https://user:secret@news.example.org/", "news.example.org"),
        ("https://www2.example.com/", "www2.example.com"),
        ("https://wwwexample.com/", "wwwexample.com"),
        ("https://example.com./", "example.com"),
        # Browsers send IDN hosts in punycode; kept as sent.
        ("https://xn--bcher-kva.example/", "xn--bcher-kva.example"),
        ("https://192.0.2.7:8000/", "192.0.2.7"),
        ("https://[2001:DB8::1]/", "2001:db8::1"),
        ("  https://example.com/  ", "example.com"),
        ("", ""),
        ("   ", ""),
        ("android-app://com.linkedin.android/", ""),
        ("ftp://example.com/", ""),
        ("/relative/path", ""),
        ("example.com", ""),
        ("not a url", ""),
        ("https://", ""),
        ("https://[not-an-address]/", ""),
        ("https://exa mple.com/", ""),
        ("https://bücher.example/", ""),
    ],
)
def test_referrer_domain(referer: str, domain: str) -> None:
    assert referrer_domain(referer) == domain
