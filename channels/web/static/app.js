// Mounts the rasa-webchat widget (served by this site at /widget/webchat.js) with the settings the
// server put into #chat-settings, and lets the page's "Chat with us" button open it.
(function () {
  "use strict";

  function settings() {
    var node = document.getElementById("chat-settings");
    return JSON.parse(node.textContent);
  }

  // The shopper's consent to personalised recommendations and prices (contracts/consent.py). The shop's
  // own consent banner answers it: window.ShopChat.setPersonalisationConsent(true | false), or a
  // "shop:consent" event with detail {personalisation: true | false}. It rides in every later
  // message's metadata (the widget's customData); unanswered, the shop's default applies (no consent).
  var CONSENT_KEY = "personalisation_consent";
  var customData = {};

  function setPersonalisationConsent(granted) {
    if (typeof granted !== "boolean") {
      console.error("setPersonalisationConsent takes true or false");
      return;
    }
    customData[CONSENT_KEY] = granted;
  }

  window.ShopChat = window.ShopChat || {};
  window.ShopChat.setPersonalisationConsent = setPersonalisationConsent;
  document.addEventListener("shop:consent", function (event) {
    setPersonalisationConsent(event.detail && event.detail.personalisation);
  });

  function mount() {
    if (!window.WebChat || typeof window.WebChat.default !== "function") {
      console.error("rasa-webchat bundle did not load from /widget/webchat.js");
      return;
    }
    var props = settings();
    // One object, kept: the widget sends this very object with each message, so a later answer counts.
    Object.keys(props.customData || {}).forEach(function (key) {
      if (!(key in customData)) {
        customData[key] = props.customData[key];
      }
    });
    props.customData = customData;
    // The launcher is shown at once; the widget connects when the shopper opens it.
    props.withRules = false;
    props.connectOn = "open";
    props.hideWhenNotConnected = false;
    props.showMessageDate = false;
    window.WebChat.default(props, null);
  }

  function openChat() {
    var launcher = document.querySelector(".rw-launcher");
    var open = document.querySelector(".rw-conversation-container");
    if (launcher && !open) {
      launcher.click();
    }
    var input = document.querySelector(".rw-new-message");
    if (input) {
      input.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    mount();
    var button = document.getElementById("open-chat");
    if (button) {
      button.addEventListener("click", openChat);
    }
  });
})();
