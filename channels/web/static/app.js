// Mounts the rasa-webchat widget (served by this site at /widget/webchat.js) with the settings the
// server put into #chat-settings, and lets the page's "Chat with us" button open it.
(function () {
  "use strict";

  function settings() {
    var node = document.getElementById("chat-settings");
    return JSON.parse(node.textContent);
  }

  function mount() {
    if (!window.WebChat || typeof window.WebChat.default !== "function") {
      console.error("rasa-webchat bundle did not load from /widget/webchat.js");
      return;
    }
    var props = settings();
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
